// Who is in a group or channel, from its header's member count; its owners and admins add people and remove
// members here (the server decides: an admin cannot remove an owner, and says so).
import { useState } from "react";
import { ApiError } from "../api/client";
import type { Conversation, PublicUser } from "../api/types";
import { displayName } from "../lib/names";
import { presenceOf } from "../state/store";
import { Avatar } from "./Avatar";
import { useApp, useChat } from "./context";
import { ModalDialog } from "./Dialog";
import { PeopleSearch } from "./PeopleSearch";

interface Props {
  conversation: Conversation;
  title: string;
  onClose: () => void;
}

export function MembersDialog({ conversation, title, onClose }: Props) {
  const { http, store, me } = useApp();
  const state = useChat();
  const [error, setError] = useState<string | null>(null);
  const manages = conversation.role === "owner" || conversation.role === "admin";
  const members = [...conversation.members].sort((a, b) => displayName(a).localeCompare(displayName(b)));

  const change = async (attempt: () => Promise<Conversation>, failure: string) => {
    setError(null);
    try {
      store.upsertConversation(await attempt());
    } catch (e) {
      setError(e instanceof ApiError ? e.message : failure);
    }
  };
  const add = (user: PublicUser) =>
    void change(() => http.addMember(conversation.id, user.id), `Could not add ${displayName(user)}; try again.`);
  const remove = (user: PublicUser) =>
    window.confirm(`Remove ${displayName(user)} from ${title}?`) &&
    void change(async () => {
      await http.removeMember(conversation.id, user.id);
      return http.conversation(conversation.id);
    }, `Could not remove ${displayName(user)}; try again.`);

  const count = `${conversation.member_count} member${conversation.member_count === 1 ? "" : "s"}`;
  return (
    <ModalDialog id="members" title={`Members of ${title}`} className="members-dialog" onClose={onClose}>
      {/* A channel is open to anyone who joins: only its count is listed. */}
      <p className="muted" data-testid="member-count">{count}</p>
      {conversation.kind !== "channel" && (
        <ul className="members-list" aria-label="Members">
          {members.map((member) => (
            <li key={member.id}>
              <Avatar name={displayName(member)} presence={presenceOf(state, member)} />
              <span className="member-name">
                <strong>{displayName(member)}</strong>
                {member.id === me.id && " (you)"} <span className="muted">@{member.username}</span>
              </span>
              {manages && member.id !== me.id && (
                <button type="button" className="link" onClick={() => remove(member)}>
                  Remove<span className="visually-hidden"> {displayName(member)}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {manages && (
        <section className="stack" aria-labelledby="members-add">
          <h3 id="members-add">Add people</h3>
          <PeopleSearch
            label="Search people to add"
            onChoose={add}
            exclude={new Set(conversation.members.map((member) => member.id))}
          />
        </section>
      )}
    </ModalDialog>
  );
}
