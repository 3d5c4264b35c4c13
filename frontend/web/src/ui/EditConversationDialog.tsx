// A group's or channel's own settings, for its owners and admins (the header's Edit): its name, and who may pin
// messages. What is saved reaches every member, this dialog too, as a `conversation.updated` event.
import { useState } from "react";
import type { Conversation, PinPolicy } from "../api/types";
import { useApp } from "./context";
import { ModalDialog } from "./Dialog";
import { Name } from "./Name";
import { useActionFeedback } from "./useActionFeedback";

const PIN_POLICIES: { value: PinPolicy; label: string }[] = [
  { value: "members", label: "Every member" },
  { value: "admins", label: "Only owners and admins" },
];

interface Props {
  conversation: Conversation;
  title: string;
  onClose: () => void;
}

export function EditConversationDialog({ conversation, title, onClose }: Props) {
  const { http } = useApp();
  const [name, setName] = useState(conversation.title);
  // Renamed meanwhile (by someone else, live): a field not edited since shows the new name, so that Rename
  // cannot put the old one back unawares; what was being typed stays.
  const [shownTitle, setShownTitle] = useState(conversation.title);
  if (shownTitle !== conversation.title) {
    setShownTitle(conversation.title);
    if (name.trim() === shownTitle) setName(conversation.title);
  }
  const feedback = useActionFeedback();
  const newName = name.trim();
  const save = (change: { title?: string; pin_policy?: PinPolicy }, done: string) =>
    feedback.run(() => http.updateConversation(conversation.id, change), done);

  return (
    <ModalDialog id="edit-conversation" title={
        <>
          Edit <Name>{title}</Name>
        </>
      } className="edit-conversation" onClose={onClose}>
      <form
        className="rename"
        onSubmit={(e) => {
          e.preventDefault();
          void save({ title: newName }, `Renamed to ${newName}.`);
        }}
      >
        <label className="field">
          <span>Name</span>
          <input value={name} maxLength={100} required onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" disabled={!newName || newName === conversation.title}>
          Rename
        </button>
      </form>
      <fieldset className="choices stack">
        <legend>Who may pin messages</legend>
        {PIN_POLICIES.map((option) => (
          <label className="choice" key={option.value}>
            <input
              type="radio"
              name="pin-policy"
              checked={conversation.pin_policy === option.value}
              onChange={() => void save({ pin_policy: option.value }, `Saved: ${option.label.toLowerCase()} may pin.`)}
            />
            {option.label}
          </label>
        ))}
      </fieldset>
      {feedback.lines()}
    </ModalDialog>
  );
}
