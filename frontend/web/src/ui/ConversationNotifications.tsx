// A conversation's notification settings, opened from its bell: my level here (default / all / mentions /
// nothing), and for its owners and admins, who may use @all and @here.
import type { AllMentionPolicy, Conversation, NotificationLevel } from "../api/types";
import { KIND_DEFAULTS } from "../lib/attention";
import { useApp, useChat } from "./context";
import { manages } from "../lib/roles";
import { useActionFeedback } from "./useActionFeedback";

const LEVEL_NAMES = { all: "all messages", mentions: "mentions only", none: "nothing" } as const;

const LEVELS: { value: NotificationLevel; label: string }[] = [
  { value: "all", label: "All messages" },
  { value: "mentions", label: "Only messages that mention me (@name, @here, @all)" },
  { value: "none", label: "Nothing (muted)" },
];

export const levelOf = (conversation: Conversation): NotificationLevel =>
  conversation.notification_level ?? (conversation.muted ? "none" : "default");

interface Props {
  conversation: Conversation;
  id: string;
  /** Esc: close the panel (focus goes back to its bell). */
  onClose: () => void;
}

export function ConversationNotifications({ conversation, id, onClose }: Props) {
  const { http, store } = useApp();
  const { prefs } = useChat();
  const feedback = useActionFeedback();
  const level = levelOf(conversation);
  const isAdmin = manages(conversation);
  const kindDefault = LEVEL_NAMES[(prefs ?? KIND_DEFAULTS)[conversation.kind]];
  const kindName = conversation.kind === "direct" ? "direct messages" : conversation.kind === "group" ? "groups" : "channels";

  const save = (change: { all_mention_policy: AllMentionPolicy }, done: string) =>
    feedback.run(async () => store.upsertConversation(await http.updateConversation(conversation.id, change)), done);
  // My level: shown at once, put back if it cannot be saved; my other tabs and devices hear it from the server.
  const saveLevel = (notification_level: NotificationLevel, done: string) =>
    feedback.run(
      () => store.updateLevel(conversation.id, { notification_level }),
      done,
      "Not saved: you seem to be offline. The level is back as it was; try again.",
    );

  return (
    <div
      className="conversation-notifications stack"
      id={id}
      data-testid="conversation-notifications"
      onKeyDown={(e) => {
        if (e.key !== "Escape") return;
        e.stopPropagation();
        onClose();
      }}
    >
      <fieldset className="choices stack">
        <legend>Notify me here about</legend>
        <label className="choice">
          <input
            type="radio"
            name={`${id}-level`}
            checked={level === "default"}
            onChange={() => void saveLevel("default", "Notifications follow your settings.")}
          />
          My setting for {kindName} ({kindDefault})
        </label>
        {LEVELS.map((option) => (
          <label className="choice" key={option.value}>
            <input
              type="radio"
              name={`${id}-level`}
              checked={level === option.value}
              onChange={() => void saveLevel(option.value, "Notification level saved.")}
            />
            {option.label}
          </label>
        ))}
      </fieldset>
      {isAdmin && conversation.kind !== "direct" && (
        <fieldset className="choices stack">
          <legend>Who may use @all and @here</legend>
          {(
            [
              ["anyone", "Every member"],
              ["admins", "Only owners and admins"],
            ] as const
          ).map(([value, label]) => (
            <label className="choice" key={value}>
              <input
                type="radio"
                name={`${id}-policy`}
                checked={(conversation.all_mention_policy ?? "anyone") === value}
                onChange={() => void save({ all_mention_policy: value }, "Saved: who may use @all and @here.")}
              />
              {label}
            </label>
          ))}
        </fieldset>
      )}
      {feedback.lines()}
    </div>
  );
}
