import type { Attachment, Conversation, Me, PublicUser } from "../api/types";

export const displayName = (user: { username: string; display_name?: string }): string =>
  user.display_name?.trim() || user.username;

type Named = { id: number; username: string; display_name?: string };

/** How a person is named on the page: by the name they took while it was open (ChatState.renamed), else by the
 * one the message or list at hand carries. */
export const shownName = (person: Named, renamed: Record<number, Named>): string => displayName(renamed[person.id] ?? person);

/** The other person of a direct conversation (yourself in a note-to-self). */
export function directPeer(conversation: Conversation, me: Me | null): PublicUser | undefined {
  return conversation.members.find((m) => m.id !== me?.id) ?? conversation.members[0];
}

export function conversationTitle(conversation: Conversation, me: Me | null): string {
  if (conversation.kind === "direct") {
    const peer = directPeer(conversation, me);
    return peer ? displayName(peer) : "Direct message";
  }
  if (conversation.title) return conversation.kind === "channel" ? `# ${conversation.title}` : conversation.title;
  const others = conversation.members.filter((m) => m.id !== me?.id).map(displayName);
  return others.slice(0, 3).join(", ") + (others.length > 3 ? ` +${others.length - 3}` : "") || "Group";
}

export function initials(name: string): string {
  const parts = name.replace(/^#\s*/, "").split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
}

export function formatTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const sameDay = date.toDateString() === now.toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString([], { month: "short", day: "numeric" });
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** "With holiday.png (1.2 MB)", "With 2 files: holiday.png and plan.pdf": the files a message carries, as the
 * forward dialog says it will send them on; "" for none. */
export function filesLine(files: Attachment[]): string {
  const [first, ...others] = files;
  if (!first) return "";
  if (!others.length) return `With ${first.name} (${formatSize(first.size)})`;
  const names = files.map((file) => file.name);
  return `With ${files.length} files: ${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/** Who did something, by name, you last (ui/Name.tsx's NameList says them: "Ada, Grace and you"). */
export function peopleNames(ids: number[], meId: number, nameOf: (id: number) => string): string[] {
  const names = ids.filter((id) => id !== meId).map(nameOf);
  if (ids.includes(meId)) names.push("you");
  return names;
}

/** "Ada, Grace and you": who did something, by name, you last. */
export function peopleList(ids: number[], meId: number, nameOf: (id: number) => string): string {
  const names = peopleNames(ids, meId, nameOf);
  if (names.length <= 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** A member's presence as the REST list gives it: `status` (with idle) where the server says it. */
export function memberStatus(user: PublicUser): "online" | "idle" | "offline" {
  return user.status ?? (user.online ? "online" : "offline");
}

/** How a presence reads, for the sighted (a subtitle) and screen readers alike. */
export const presenceLabel = (status: "online" | "idle" | "offline"): string =>
  status === "online" ? "Online" : status === "idle" ? "Idle" : "Offline";

/** Who "Seen by …" under my newest message (at `seq`) names: the members whose read marker reached it (the view
 * says only "Seen" in a direct conversation); null when none has. One who has left is not named: the store keeps
 * their marker as last heard, and the view named them "Someone". */
export function seenBy(reads: Record<number, number>, seq: number, members: Named[], meId: number): string[] | null {
  const readers = members.filter((m) => m.id !== meId && (reads[m.id] ?? 0) >= seq).map(displayName);
  return readers.length ? readers : null;
}
