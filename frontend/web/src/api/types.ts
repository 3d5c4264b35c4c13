// API payload types, from the schema generated out of the backend's OpenAPI (`npm run gen`). Where
// the schema is looser than the contract (untyped nested objects, a socket message without
// `reactions`), the refinement is written here once, on top of the generated type.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Me = Schemas["Me"];
/** `status` is a conversation member's presence, with idle (docs/api.md); `online` says online-or-idle. */
export type PublicUser = Schemas["PublicUser"] & { online?: boolean; status?: "online" | "idle" | "offline" };
export type RegisteredUser = Schemas["RegisteredUser"];
export type Paginated<T> = { count: number; next?: string | null; previous?: string | null; results: T[] };
export type ConversationKind = Schemas["KindEnum"];
/** My level for a kind of conversation (users/me/notifications/). */
export type NotifyLevel = Schemas["NotificationLevelEnum"];
export type UserRef = Schemas["Sender"];
export type Attachment = Schemas["StoredFile"];
export type LinkPreview = Schemas["LinkPreview"];
export type ReactionSummary = Schemas["ReactionSummary"];
export type StoredFile = Schemas["StoredFile"];
export type UploadTicket = Schemas["FileUpload"];
export type NotificationSettings = Record<keyof Schemas["NotificationPreferences"], NotifyLevel>;
export type ChannelSummary = Schemas["Channel"];
export type LoginSession = Schemas["LoginSession"];
export type Block = Schemas["Block"];
export type Invitation = Schemas["Invitation"];
export type DataExport = Schemas["DataExport"];
export type TwoFactorStatus = Schemas["TwoFactorStatus"];
export type TotpEnrolment = Schemas["TotpEnrolment"];
export type Forward = Schemas["Forward"];
export type PinPolicy = Schemas["PinPolicyEnum"];
/** A member's role in a group or channel: owners change roles, owners and admins manage the rest. */
export type Role = Schemas["RoleEnum"];
/** A conversation's member, with their role there: absent where a copy predates roles in member lists. */
export type Member = PublicUser & { role?: Role };
/** A member found by name (GET conversations/{id}/members/), or as a role change answers. */
export type ConversationMember = Schemas["ConversationMember"];

/** A conversation's notification level for me: `default` follows my setting for its kind (NotifyLevel). */
export type NotificationLevel = Schemas["ConversationNotificationLevelEnum"];
/** Who may write @all and @here in a conversation. */
export type AllMentionPolicy = Schemas["AllMentionPolicyEnum"];

/** What a message's body mentions, as the server parsed it (docs/protocol.md). */
export interface MessageMentions {
  /** The ids of the members named with @username. */
  mentions?: number[];
  mentions_here?: boolean;
  mentions_all?: boolean;
}

/** The socket message object (docs/protocol.md); REST adds `reactions`. A message made here (pending) or kept
 * from before forwards (or mentions) existed has no `forwarded_from` (or mentions). */
export type Message = Omit<Schemas["Message"], "reactions" | "forwarded_from" | keyof MessageMentions> & {
  reactions?: ReactionSummary[];
  forwarded_from?: Schemas["Forward"] | null;
} & MessageMentions;

/** A pinned message, as the pinned list shows it. */
export type Pin = Omit<Schemas["Pin"], "message"> & { message: Message };
/** A report of a message to the moderators (docs/moderation.md). */
export type Report = Schemas["Report"];

export interface MessagePage {
  results: Message[];
  has_more: boolean;
  /** Only for a page opened `around` a seq: newer messages exist. */
  has_more_newer?: boolean;
}

/** One search hit: the message, its conversation, and `snippet`, HTML with <mark>s (see lib/snippet). */
export type SearchHit = Omit<Schemas["SearchHit"], "message"> & { message: Message };
export interface SearchPage {
  results: SearchHit[];
  next_cursor: string | null;
}

/** A message that mentions me, with its conversation (GET /api/v1/mentions/, newest first). */
export type MentionItem = Omit<Schemas["Mention"], "message"> & { message: Message };
export interface MentionsPage {
  results: MentionItem[];
  next_cursor: string | null;
}

export type ThreadSummary = Schemas["ThreadSummary"];

/** A thread: its root and a page of its replies, with my follow state and read marker in it. */
export type ThreadPage = Omit<Schemas["ThreadPage"], "root" | "results"> & { root: Message; results: Message[] };

/** A thread I follow, with how many replies by others I have not read. */
export type FollowedThread = Omit<Schemas["FollowedThread"], "root"> & { root: Message };

export type Conversation = Omit<
  Schemas["Conversation"],
  "title" | "is_public" | "last_seq" | "last_message" | "members" | "notification_level" | "unread_mentions" | "all_mention_policy"
> & {
  title: string;
  is_public: boolean;
  last_seq: number;
  last_message: Message | null;
  members: Member[];
  /** Mine: absent from a server before notification levels (read as `default`). */
  notification_level?: NotificationLevel;
  /** Unread messages that mention me (by name, @here or @all). */
  unread_mentions?: number;
  all_mention_policy?: AllMentionPolicy;
};

export interface ApiErrorBody {
  error: { code: string; detail: string; fields: Record<string, unknown> };
}
