import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { ReactionSummary } from "../api/types";
import type { ChatMessage } from "../state/messages";
import { useApp } from "./context";

/** What a message's own actions do, in a conversation and in a thread alike: edit, delete and react (a
 * refusal, or a change that could not be sent, is handed to `onError` to show; a new action clears it), and
 * retry or discard an unsent message. `onReact` also hands back the action, settled as it is. */
export function useMessageActions(onError: (reason: string | null) => void) {
  const { store } = useApp();
  const report = useCallback(
    (action: Promise<void>) => {
      onError(null);
      action.catch((e: unknown) => onError(e instanceof Error ? e.message : String(e)));
      return action;
    },
    [onError],
  );
  return useMemo(
    () => ({
      onEdit: (m: ChatMessage, body: string) => void report(store.edit(m.id, body)),
      onDelete: (m: ChatMessage) => void report(store.remove(m.id)),
      onReact: (m: ChatMessage, emoji: string) => report(store.react(m, emoji)),
      onRetry: (m: ChatMessage) => store.retry(m.conversation, m.client_id),
      onDiscard: (m: ChatMessage) => store.discard(m.conversation, m.client_id),
    }),
    [store, report],
  );
}

/** My reaction with one emoji, changed by me and not confirmed yet: what I chose last (`wanted`), what the
 * frame on its way asks for (`sent`), and that frame's number. */
interface Toggle {
  wanted: boolean;
  sent: boolean;
  attempt: number;
}

/**
 * A message's reactions as I see them, and `toggle` to change mine. A click shows its change at once; its
 * frame (reaction.add or .remove, as the server knows it now) goes unless one for that emoji is still on its
 * way: then it only sets what I want, and once the change on its way comes back, one more frame goes if what
 * I chose last differs. A double click sent reaction.remove twice, and ended removed whatever the second
 * click meant; now it ends as shown, with one frame on its way at a time.
 */
export function useReactions(m: ChatMessage, meId: number, onReact: (m: ChatMessage, emoji: string) => Promise<void>) {
  const [toggles, setToggles] = useState<Record<string, Toggle>>({});
  const attempts = useRef(0);
  const reactions = m.reactions;
  const mine = useCallback(
    (emoji: string) => !!reactions?.some((r) => r.emoji === emoji && r.users.includes(meId)),
    [reactions, meId],
  );

  // Changes that came back as I last chose them are done.
  const done = Object.entries(toggles).filter(([emoji, { sent, wanted }]) => sent === mine(emoji) && wanted === sent);
  if (done.length > 0) setToggles(done.map(([emoji]) => emoji).reduce(without, toggles));

  const send = useCallback(
    (emoji: string, wanted: boolean) => {
      const attempt = ++attempts.current;
      setToggles((all) => ({ ...all, [emoji]: { wanted, sent: wanted, attempt } }));
      // Refused, or answered without the change coming back: what the server says is shown again.
      const settle = () => setToggles((all) => (all[emoji]?.attempt === attempt ? without(all, emoji) : all));
      onReact(m, emoji).then(settle, settle); // the store asks for the opposite of the server's: `wanted`
    },
    [m, onReact],
  );

  // A change came back, and I have changed my mind since: the frame for what I chose last.
  useEffect(() => {
    for (const [emoji, { sent, wanted }] of Object.entries(toggles)) {
      if (mine(emoji) === sent && wanted !== sent) send(emoji, wanted);
    }
  }, [toggles, mine, send]);

  const toggle = (emoji: string) => {
    const pending = toggles[emoji];
    if (pending) setToggles({ ...toggles, [emoji]: { ...pending, wanted: !pending.wanted } });
    else send(emoji, !mine(emoji));
  };
  const shown = useMemo(() => withMine(reactions ?? [], toggles, meId), [reactions, toggles, meId]);
  return { reactions: shown, toggle };
}

function without(all: Record<string, Toggle>, emoji: string): Record<string, Toggle> {
  return Object.fromEntries(Object.entries(all).filter(([key]) => key !== emoji));
}

/** The reactions with my unconfirmed changes on them. One I take back stays, at 0, until that is confirmed:
 * gone from under the pointer, it could not be clicked back. */
function withMine(reactions: ReactionSummary[], toggles: Record<string, Toggle>, meId: number): ReactionSummary[] {
  let shown = reactions;
  for (const [emoji, { wanted }] of Object.entries(toggles)) {
    const existing = shown.find((r) => r.emoji === emoji);
    if ((existing?.users.includes(meId) ?? false) === wanted) continue;
    if (!existing) shown = [...shown, { emoji, count: 1, users: [meId] }];
    else {
      const users = wanted ? [...existing.users, meId] : existing.users.filter((id) => id !== meId);
      const changed = { emoji, count: existing.count + (wanted ? 1 : -1), users };
      shown = shown.map((r) => (r.emoji === emoji ? changed : r));
    }
  }
  return shown;
}
