// Who is in a group or channel and with what role, from its header's member count. Its owners and admins add
// people and remove members here, and its owners make a member an owner, an admin or a plain member again (the
// server decides: an admin cannot remove an owner, the only owner cannot step down, and says so). A channel,
// open to anyone who joins, lists only its count; its owners and admins find its members by name instead.
import { useEffect, useState } from "react";
import { ApiError } from "../api/client";
import type { Conversation, Member, PublicUser, Role } from "../api/types";
import { displayName } from "../lib/names";
import type { PresenceStatus } from "../realtime/protocol";
import { presenceOf } from "../state/store";
import { Avatar } from "./Avatar";
import { useApp, useChat } from "./context";
import { ModalDialog } from "./Dialog";
import { PeopleSearch } from "./PeopleSearch";
import { useActionFeedback } from "./useActionFeedback";
import { manages, owns, ROLE_NAMES, ROLES } from "./roles";
import { useDebounced } from "./useDebounced";

interface Props {
  conversation: Conversation;
  title: string;
  onClose: () => void;
}

export function MembersDialog({ conversation, title, onClose }: Props) {
  const { http, store, me } = useApp();
  const state = useChat();
  const feedback = useActionFeedback();
  const channel = conversation.kind === "channel";
  const found = useChannelMembers(conversation, channel && manages(conversation), feedback.setError);
  const listed = channel ? found.members : conversation.members;
  const members = [...(listed ?? [])].sort((a, b) => displayName(a).localeCompare(displayName(b)));

  const change = (attempt: () => Promise<void>, failure: string, done: string) => feedback.run(attempt, done, failure);
  const add = (user: PublicUser) =>
    void change(
      async () => store.upsertConversation(await http.addMember(conversation.id, user.id)),
      `Could not add ${displayName(user)}; try again.`,
      `${displayName(user)} added.`,
    );
  const remove = (member: Member) =>
    window.confirm(`Remove ${displayName(member)} from ${title}?`) &&
    void change(
      async () => {
        await http.removeMember(conversation.id, member.id);
        found.drop(member.id);
      },
      `Could not remove ${displayName(member)}; try again.`,
      `${displayName(member)} removed.`,
    );
  const setRole = (member: Member, role: Role) => {
    const mine = member.id === me.id; // only owners change roles: mine can only go down
    const asked = `Step down from owner to ${role} of ${title}? Only an owner can make you an owner again.`;
    if (mine && !window.confirm(asked)) return;
    const who = mine ? "You are" : `${displayName(member)} is`;
    void change(
      async () => found.replace(await http.setMemberRole(conversation.id, member.id, role)),
      `Could not change the role of ${displayName(member)}; try again.`,
      `${who} now ${role === "member" ? "a member" : `an ${role}`}.`,
    );
  };

  const count = `${conversation.member_count} member${conversation.member_count === 1 ? "" : "s"}`;
  return (
    <ModalDialog id="members" title={`Members of ${title}`} className="members-dialog" onClose={onClose}>
      <p className="muted" data-testid="member-count">{count}</p>
      {found.enabled && (
        <label className="field">
          <span>Find members</span>
          <input type="search" value={found.query} placeholder="Name or username" onChange={(e) => found.search(e.target.value)} />
        </label>
      )}
      {listed && (
        <ul className="members-list" aria-label="Members">
          {members.map((member) => (
            <MemberRow
              key={member.id}
              member={member}
              isMe={member.id === me.id}
              presence={presenceOf(state, member)}
              owner={owns(conversation)}
              manager={manages(conversation)}
              onRole={setRole}
              onRemove={remove}
            />
          ))}
          {found.enabled && members.length === 0 && <li className="muted">No member found.</li>}
        </ul>
      )}
      {feedback.lines("muted live-note")}
      {manages(conversation) && (
        <section className="stack" aria-labelledby="members-add">
          <h3 id="members-add">Add people</h3>
          <PeopleSearch label="Search people to add" onChoose={add} exclude={new Set(listed?.map((member) => member.id))} />
        </section>
      )}
    </ModalDialog>
  );
}

interface RowProps {
  member: Member;
  isMe: boolean;
  presence: PresenceStatus | undefined;
  /** I own the conversation: I choose the member's role. */
  owner: boolean;
  /** I own or administer it: I may remove the member (the server decides whom). */
  manager: boolean;
  onRole: (member: Member, role: Role) => void;
  onRemove: (member: Member) => void;
}

/** A member: their name, presence and role; an owner's choice of their role, and Remove for those who manage
 * (an owner only by an owner, as the server decides). */
function MemberRow({ member, isMe, presence, owner, manager, onRole, onRemove }: RowProps) {
  const name = displayName(member);
  const role = member.role ?? "member";
  return (
    <li>
      <Avatar name={name} presence={presence} />
      <span className="member-name">
        <strong>{name}</strong>
        {isMe && " (you)"} <span className="muted">@{member.username}</span>
      </span>
      {owner ? (
        <select aria-label={`Role of ${name}`} value={role} onChange={(e) => onRole(member, e.target.value as Role)}>
          {ROLES.map((option) => (
            <option key={option} value={option}>
              {ROLE_NAMES[option]}
            </option>
          ))}
        </select>
      ) : (
        role !== "member" && <span className="role-badge">{ROLE_NAMES[role]}</span>
      )}
      {manager && !isMe && (owner || role !== "owner") && (
        <button type="button" className="link" onClick={() => onRemove(member)}>
          Remove<span className="visually-hidden"> {name}</span>
        </button>
      )}
    </li>
  );
}

interface ChannelMembers {
  enabled: boolean;
  query: string;
  /** The members found (at most 20, as the server answers), or null while none were asked for. */
  members: Member[] | null;
  search: (query: string) => void;
  /** A member as a role change answered: shown with their new role. */
  replace: (member: Member) => void;
  drop: (id: number) => void;
}

/** A channel's members found by name, for its owners and admins (its conversation lists none). Found once, they
 * are what the server said then, with the changes made here. A failed search is said through `onError`. */
function useChannelMembers(conversation: Conversation, enabled: boolean, onError: (message: string) => void): ChannelMembers {
  const { http } = useApp();
  const [query, setQuery] = useState("");
  const [members, setMembers] = useState<Member[] | null>(null);
  const search = useDebounced(query.trim());
  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    http.findMembers(conversation.id, search).then(
      (found) => !cancelled && setMembers(found),
      (e: unknown) => !cancelled && onError(e instanceof ApiError ? e.message : "Could not find members; try again."),
    );
    return () => {
      cancelled = true;
    };
  }, [enabled, http, conversation.id, search, onError]);
  return {
    enabled,
    query,
    members: enabled ? members : null, // a plain member again (stepped down): the count alone, as for anyone
    search: setQuery,
    replace: (member) => setMembers((list) => list?.map((m) => (m.id === member.id ? member : m)) ?? null),
    drop: (id) => setMembers((list) => list?.filter((m) => m.id !== id) ?? null),
  };
}
