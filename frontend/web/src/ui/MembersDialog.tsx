// Who is in a group or channel and with what role, from its header's member count. Its owners and admins add
// people and remove members here, and its owners make a member an owner, an admin or a plain member again (the
// server decides: an admin cannot remove an owner, the only owner cannot step down, and says so). A channel,
// open to anyone who joins, lists only its count; its owners and admins find its members by name instead. Who
// joins, leaves or changes role meanwhile shows at once (the conversation's events), and focus stays in the
// list when a row or a control in it goes.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from "react";
import { ApiError } from "../api/client";
import type { Conversation, Member, PublicUser, Role } from "../api/types";
import { displayName } from "../lib/names";
import type { PresenceStatus } from "../realtime/protocol";
import { presenceOf } from "../state/store";
import { Avatar } from "./Avatar";
import { useApp, useChat } from "./context";
import { ModalDialog } from "./Dialog";
import { Name } from "./Name";
import { PeopleSearch } from "./PeopleSearch";
import { useActionFeedback } from "./useActionFeedback";
import { manages, owns, ROLE_NAMES, ROLES } from "../lib/roles";
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
  // New at each membership event, and each role event: what was found is asked for again.
  const { memberChanges: changes, roles: roleChanges } = state.ledgers[conversation.id] ?? {};
  const found = useChannelMembers(conversation, channel && manages(conversation), [changes, roleChanges], feedback.setError);
  const listed = channel ? found.members : conversation.members;
  const members = [...(listed ?? [])].sort((a, b) => displayName(a).localeCompare(displayName(b)));
  const list = useRef<HTMLUListElement>(null);
  const count = useRef<HTMLParagraphElement>(null);
  const keep = useKeptPlace(list, count);
  const membersAmong = useMembersAmong(conversation, changes);

  const change = (attempt: () => Promise<void>, failure: string, done: string) => feedback.run(attempt, done, failure);
  const add = (user: PublicUser) =>
    change(
      async () => store.upsertConversation(await http.addMember(conversation.id, user.id)),
      `Could not add ${displayName(user)}; try again.`,
      `${displayName(user)} added.`,
    );
  const remove = (member: Member) =>
    window.confirm(`Remove ${displayName(member)} from ${title}?`) &&
    keep(member, members, "remove") &&
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
    keep(member, members, "role");
    const who = mine ? "You are" : `${displayName(member)} is`;
    void change(
      async () => found.replace(await http.setMemberRole(conversation.id, member.id, role)),
      `Could not change the role of ${displayName(member)}; try again.`,
      `${who} now ${role === "member" ? "a member" : `an ${role}`}.`,
    );
  };

  const counted = `${conversation.member_count} member${conversation.member_count === 1 ? "" : "s"}`;
  return (
    <ModalDialog
      id="members"
      title={
        <>
          Members of <Name>{title}</Name>
        </>
      }
      className="members-dialog"
      onClose={onClose}
    >
      <p className="muted" data-testid="member-count" tabIndex={-1} ref={count}>
        {counted}
      </p>
      {found.enabled && (
        <label className="field">
          <span>Find members</span>
          <input type="search" value={found.query} placeholder="Name or username" onChange={(e) => found.search(e.target.value)} />
        </label>
      )}
      {listed && (
        <ul className="members-list" aria-label="Members" tabIndex={-1} ref={list}>
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
          <PeopleSearch label="Search people to add" onChoose={add} membersAmong={membersAmong} />
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
    <li data-member={member.id}>
      <Avatar name={name} presence={presence} url={member.avatar_url} />
      <span className="member-name">
        <strong>{name}</strong>
        {isMe && " (you)"} <span className="muted">@{member.username}</span>
      </span>
      {owner ? (
        <select data-control="role" aria-label={`Role of ${name}`} value={role} onChange={(e) => onRole(member, e.target.value as Role)}>
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
        <button type="button" className="link" data-control="remove" onClick={() => onRemove(member)}>
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

/** A channel's members found by name, for its owners and admins (its conversation lists none): what the server
 * says, asked again at each of the channel's membership and role events (the ledger's records of them), with
 * the changes made here shown meanwhile. A failed search is said through `onError`. */
function useChannelMembers(
  conversation: Conversation,
  enabled: boolean,
  [joined, roles]: [unknown, unknown],
  onError: (message: string) => void,
): ChannelMembers {
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
  }, [enabled, http, conversation.id, search, joined, roles, onError]);
  return {
    enabled,
    query,
    members: enabled ? members : null, // a plain member again (stepped down): the count alone, as for anyone
    search: setQuery,
    replace: (member) => setMembers((list) => list?.map((m) => (m.id === member.id ? member : m)) ?? null),
    drop: (id) => setMembers((list) => list?.filter((m) => m.id !== id) ?? null),
  };
}

/** Who among the people a search finds is a member: a group's members are all listed, a channel's are asked
 * for by the same words (the server finds members as it finds people, by username, as many as a page of
 * people). A new function at each membership event, so that the search asks again. */
function useMembersAmong(conversation: Conversation, changes: unknown): (search: string) => Promise<ReadonlySet<number>> {
  const { http } = useApp();
  const { id, kind, members } = conversation;
  return useCallback(
    async (search: string) => {
      void changes; // asked again once the members changed
      const found = kind === "channel" ? await http.findMembers(id, search) : members;
      return new Set(found.map((member) => member.id));
    },
    [http, id, kind, members, changes],
  );
}

type Control = "remove" | "role";

interface Place {
  member: number;
  /** Where their row was among the rows. */
  index: number;
  control: Control;
  /** What had focus when the control was used. */
  focused: Element | null;
}

/**
 * Keeps keyboard focus in the list when what had it goes: a member removed (their row goes once the server's
 * event says so), or my own role choice gone with my owner's role. `keep` marks the place before such a change
 * (and returns true, to chain); once what had focus then is gone from the page, and focus with it (on the page's
 * body), it goes to the same control in the row now in that place (the next member's), else in the row before,
 * else to the list itself, else to the count (a channel's list is gone once I manage it no more). Focus put
 * anywhere else meanwhile forgets the place.
 */
function useKeptPlace(list: RefObject<HTMLElement | null>, fallback: RefObject<HTMLElement | null>) {
  const place = useRef<Place | null>(null);
  useEffect(() => {
    const moved = (event: FocusEvent) => {
      if (place.current && event.target !== place.current.focused) place.current = null;
    };
    document.addEventListener("focusin", moved);
    return () => document.removeEventListener("focusin", moved);
  }, []);
  useLayoutEffect(() => {
    const kept = place.current;
    const now = document.activeElement;
    if (!kept || kept.focused?.isConnected || (now && now !== document.body && now.isConnected)) return;
    place.current = null;
    if (list.current) regainPlace(list.current, kept);
    else fallback.current?.focus();
  });
  return useCallback((member: Member, members: Member[], control: Control): true => {
    const index = members.findIndex((m) => m.id === member.id);
    place.current = { member: member.id, index, control, focused: document.activeElement };
    return true;
  }, []);
}

function regainPlace(list: HTMLElement, place: Place): void {
  const rows = [...list.querySelectorAll<HTMLElement>(":scope > li[data-member]")];
  const same = rows.find((row) => row.dataset.member === String(place.member));
  const candidates = same ? [same] : [rows[place.index], rows[place.index - 1]];
  const control = candidates
    .map((row) => row?.querySelector<HTMLElement>(`[data-control="${place.control}"]`))
    .find((found) => found);
  (control ?? list).focus();
}
