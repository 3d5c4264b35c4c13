import { useCallback, useMemo } from "react";
import type { ChatMessage } from "../state/messages";
import { useApp } from "./context";

/** What a message's own actions do, in a conversation and in a thread alike: edit, delete and react (a
 * refusal, or a change that could not be sent, is handed to `onError` to show; a new action clears it), and
 * retry or discard an unsent message. */
export function useMessageActions(onError: (reason: string | null) => void) {
  const { store } = useApp();
  const report = useCallback(
    (action: Promise<void>) => {
      onError(null);
      action.catch((e: unknown) => onError(e instanceof Error ? e.message : String(e)));
    },
    [onError],
  );
  return useMemo(
    () => ({
      onEdit: (m: ChatMessage, body: string) => report(store.edit(m.id, body)),
      onDelete: (m: ChatMessage) => report(store.remove(m.id)),
      onReact: (m: ChatMessage, emoji: string) => report(store.react(m, emoji)),
      onRetry: (m: ChatMessage) => store.retry(m.conversation, m.client_id),
      onDiscard: (m: ChatMessage) => store.discard(m.conversation, m.client_id),
    }),
    [store, report],
  );
}
