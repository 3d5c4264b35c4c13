import { useEffect, useRef, useState } from "react";
import { displayName } from "../lib/names";
import { plainPreview } from "../lib/preview";
import type { ChatMessage } from "../state/messages";

/** What a screen reader is told of new messages: each one another member sends, once, as it arrives. The list
 * itself (the conversation's, a thread's) is not a live region: loaded, it read a whole page of history aloud
 * (and each older page again). */
export function useNewMessageAnnouncement(messages: ChatMessage[], opened: boolean, meId: number): string {
  const newest = messages[messages.length - 1];
  const seen = useRef<string | undefined>(undefined);
  const [announcement, setAnnouncement] = useState("");
  useEffect(() => {
    if (!newest || newest.id === seen.current) return;
    const before = seen.current;
    seen.current = newest.id;
    // Until its history is read, what shows is what was there (held, or that history): not news.
    if (!opened || before === undefined || newest.sender.id === meId || newest.state !== "sent") return;
    setAnnouncement(`${displayName(newest.sender)}: ${plainPreview(newest.body, 200)}`);
  }, [newest, opened, meId]);
  return announcement;
}
