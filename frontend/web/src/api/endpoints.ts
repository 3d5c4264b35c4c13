// Every REST endpoint the app calls, in one place. Paths follow the OpenAPI schema (/api/v1/schema/).
import { api, type ApiClient } from "./client";
import type {
  AllMentionPolicy,
  Block,
  ChannelSummary,
  Conversation,
  ConversationMember,
  FollowedThread,
  ConversationKind,
  DataExport,
  Invitation,
  LoginSession,
  Me,
  Message,
  MessagePage,
  NotificationLevel,
  NotificationSettings,
  Paginated,
  Pin,
  PinPolicy,
  PublicUser,
  RegisteredUser,
  Report,
  MentionsPage,
  Role,
  SearchPage,
  StoredFile,
  ThreadPage,
  TotpEnrolment,
  TwoFactorStatus,
  UploadTicket,
} from "./types";

const q = (params: Record<string, string | number | undefined>): string => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
};

const SESSION_HINT = "parley.session";

/** Whether a refresh cookie may exist (it is HttpOnly, so the page can't see it): not a secret,
 * only spares a certain-to-fail refresh, and its console error, for visitors who never logged in. */
export function mayHaveSession(): boolean {
  try {
    return localStorage.getItem(SESSION_HINT) === "1";
  } catch {
    return true;
  }
}

export function rememberSession(on: boolean): void {
  try {
    if (on) localStorage.setItem(SESSION_HINT, "1");
    else {
      localStorage.removeItem(SESSION_HINT);
      localStorage.removeItem(PROFILE);
    }
  } catch {
    // storage disabled: every visit tries a refresh
  }
}

const PROFILE = "parley.me";

/** Your own profile, kept on this device while you are signed in: the app opens offline knowing who you are. */
export function rememberProfile(me: Me): void {
  try {
    localStorage.setItem(PROFILE, JSON.stringify(me));
  } catch {
    // storage disabled: no offline start
  }
}

export function rememberedProfile(): Me | null {
  try {
    const stored = localStorage.getItem(PROFILE);
    return stored ? (JSON.parse(stored) as Me) : null;
  } catch {
    return null;
  }
}

export function endpoints(client: ApiClient = api) {
  const r = client.request.bind(client);
  return {
    // --- accounts
    register: (body: { username: string; email: string; password: string; invitation?: string }) =>
      r<RegisteredUser>("auth/register/", { method: "POST", body, auth: false }),
    logIn: async (body: { username: string; password: string; otp?: string }) => {
      const { access } = await r<{ access: string }>("auth/token/", {
        method: "POST",
        body: { ...body, use_cookie: true },
        auth: false,
      });
      client.setToken(access);
      rememberSession(true);
      return access;
    },
    logOut: async () => {
      try {
        await r<undefined>("auth/logout/", { method: "POST", body: {}, auth: false });
      } finally {
        rememberSession(false);
        client.setToken(null);
      }
    },
    me: () => r<Me>("users/me/"),
    changePassword: (body: { current_password: string; new_password: string }) =>
      r<undefined>("auth/password/change/", { method: "POST", body }),
    askPasswordReset: (email: string) =>
      r<{ detail: string }>("auth/password/reset/", { method: "POST", body: { email }, auth: false }),
    resetPassword: (body: { uid: string; token: string; new_password: string }) =>
      r<undefined>("auth/password/reset/confirm/", { method: "POST", body, auth: false }),
    verifyEmail: (token: string) =>
      r<undefined>("auth/email/verify/", { method: "POST", body: { token }, auth: false }),
    resendVerification: () => r<{ detail: string }>("users/me/email/verification/", { method: "POST", body: {} }),
    changeEmail: (body: { email: string; password: string }) =>
      r<{ detail: string }>("users/me/email/", { method: "POST", body }),
    sessions: () => r<LoginSession[]>("sessions/"),
    endSession: (id: string) => r<undefined>(`sessions/${id}/`, { method: "DELETE" }),
    /** Signed out here only once the server has ended every session: a failure leaves them all, this one too. */
    signOutEverywhere: async () => {
      await r<undefined>("sessions/sign-out-everywhere/", { method: "POST", body: {} });
      rememberSession(false);
      client.setToken(null);
    },
    twoFactor: () => r<TwoFactorStatus>("two-factor/"),
    startTotp: () => r<TotpEnrolment>("two-factor/totp/", { method: "POST", body: {} }),
    confirmTotp: (code: string) =>
      r<{ recovery_codes: string[] }>("two-factor/totp/confirm/", { method: "POST", body: { code } }),
    disableTwoFactor: (body: { password: string; code: string }) =>
      r<undefined>("two-factor/disable/", { method: "POST", body }),
    newRecoveryCodes: (code: string) =>
      r<{ recovery_codes: string[] }>("two-factor/recovery-codes/", { method: "POST", body: { code } }),
    updateMe: (body: { display_name: string }) => r<Me>("users/me/", { method: "PATCH", body }),
    /** A new profile picture (the server checks and re-encodes it: docs/api.md, "Profile pictures"). */
    setAvatar: (file: Blob, name: string) => {
      const body = new FormData();
      body.append("avatar", file, name);
      return r<Me>("users/me/avatar/", { method: "PUT", body });
    },
    removeAvatar: () => r<Me>("users/me/avatar/", { method: "DELETE" }),
    invitations: () => r<Invitation[]>("invitations/"),
    invite: (body: { max_uses: number; days: number }) =>
      r<Invitation & { link: string }>("invitations/", { method: "POST", body }),
    revokeInvitation: (id: number) => r<undefined>(`invitations/${id}/`, { method: "DELETE" }),
    dataExports: () => r<DataExport[]>("users/me/export/"),
    requestDataExport: () => r<DataExport>("users/me/export/", { method: "POST", body: {} }),
    deleteAccount: async (body: { password: string; code: string }) => {
      await r<undefined>("users/me/delete/", { method: "POST", body });
      rememberSession(false);
      client.setToken(null);
    },
    blocks: () => r<Block[]>("blocks/"),
    block: (user: number) => r<Block>("blocks/", { method: "POST", body: { user } }),
    unblock: (user: number) => r<undefined>(`blocks/${user}/`, { method: "DELETE" }),
    searchUsers: (search: string) => r<Paginated<PublicUser>>(`users/${q({ search })}`),
    /** Up to 20 people by id (one page). */
    usersByIds: (ids: number[]) =>
      r<Paginated<PublicUser>>(`users/?${new URLSearchParams(ids.map((id) => ["ids", String(id)])).toString()}`),

    // --- conversations
    conversations: (page?: number) => r<Paginated<Conversation>>(`conversations/${q({ page })}`),
    conversation: (id: number) => r<Conversation>(`conversations/${id}/`),
    createConversation: (body: {
      kind: ConversationKind;
      title?: string;
      members: number[];
      is_public?: boolean;
    }) => r<Conversation>("conversations/", { method: "POST", body }),
    updateConversation: (
      id: number,
      body: {
        title?: string;
        muted?: boolean;
        pin_policy?: PinPolicy;
        notification_level?: NotificationLevel;
        all_mention_policy?: AllMentionPolicy;
      },
    ) =>
      r<Conversation>(`conversations/${id}/`, { method: "PATCH", body }),
    /** Members whose name contains `search` (a channel's conversation lists none), at most a pick-list's worth. */
    findMembers: (id: number, search: string) =>
      r<ConversationMember[]>(`conversations/${id}/members/${q({ search })}`),
    /** Owners make a member an owner, an admin or a plain member; members hear of it as `member.updated`. */
    setMemberRole: (id: number, user: number, role: Role) =>
      r<ConversationMember>(`conversations/${id}/members/${user}/`, { method: "PATCH", body: { role } }),
    addMember: (id: number, user: number) =>
      r<Conversation>(`conversations/${id}/members/`, { method: "POST", body: { user } }),
    removeMember: (id: number, user: number) =>
      r<undefined>(`conversations/${id}/members/${user}/`, { method: "DELETE" }),
    join: (id: number) => r<Conversation>(`conversations/${id}/join/`, { method: "POST", body: {} }),
    leave: (id: number) => r<undefined>(`conversations/${id}/leave/`, { method: "POST", body: {} }),
    channels: (search = "") => r<Paginated<ChannelSummary>>(`channels/${q({ search: search || undefined })}`),

    // --- messages
    messages: (id: number, params: { before_seq?: number; after_seq?: number; around?: number; limit?: number }) =>
      r<MessagePage>(`conversations/${id}/messages/${q(params)}`),
    mentions: (params: { cursor?: string; limit?: number } = {}) => r<MentionsPage>(`mentions/${q(params)}`),
    searchMessages: (params: { q: string; public?: boolean; cursor?: string }) =>
      r<SearchPage>(`search/messages/${q({ ...params, public: params.public ? "true" : undefined })}`),
    postMessage: (
      id: number,
      body: {
        body: string;
        client_id: string;
        reply_to?: string | null;
        thread_root?: string | null;
        attachments?: string[];
      },
    ) => r<Message>(`conversations/${id}/messages/`, { method: "POST", body }),
    pins: (id: number) => r<Pin[]>(`conversations/${id}/pins/`),
    pin: (id: string) => r<Pin>(`messages/${id}/pin/`, { method: "PUT", body: {} }),
    unpin: (id: string) => r<undefined>(`messages/${id}/pin/`, { method: "DELETE" }),
    forward: (id: string, body: { conversation: number; client_id: string }) =>
      r<Message>(`messages/${id}/forward/`, { method: "POST", body }),
    report: (id: string, reason: string) => r<Report>(`messages/${id}/report/`, { method: "POST", body: { reason } }),
    markRead: (id: number, seq: number) => r<undefined>(`conversations/${id}/read/`, { method: "POST", body: { seq } }),

    // --- threads
    thread: (root: string, params: { before_seq?: number; after_seq?: number; around?: number; limit?: number }) =>
      r<ThreadPage>(`messages/${root}/thread/${q(params)}`),
    followThread: (root: string, following: boolean) =>
      r<undefined>(`messages/${root}/thread/follow/`, { method: following ? "PUT" : "DELETE" }),
    markThreadRead: (root: string, seq: number) =>
      r<undefined>(`messages/${root}/thread/read/`, { method: "POST", body: { seq } }),
    followedThreads: () => r<Paginated<FollowedThread>>("threads/"),

    // --- files
    createUpload: (body: { name: string; size: number; content_type: string }) =>
      r<UploadTicket>("files/", { method: "POST", body }),
    completeUpload: (id: string) => r<StoredFile>(`files/${id}/complete/`, { method: "POST", body: {} }),
    downloadPath: (id: string) => `${"/api/v1"}/files/${id}/download/`,
    thumbnailPath: (id: string) => `${"/api/v1"}/files/${id}/thumbnail/`,

    // --- push
    pushKey: () => r<{ public_key: string }>("push/key/"),
    subscribePush: (body: { endpoint: string; keys: { p256dh: string; auth: string }; device_name?: string }) =>
      r<unknown>("push/subscriptions/", { method: "POST", body }),
    notificationSettings: () => r<NotificationSettings>("users/me/notifications/"),
    updateNotificationSettings: (body: Partial<NotificationSettings>) =>
      r<NotificationSettings>("users/me/notifications/", { method: "PATCH", body }),
  };
}

export type Endpoints = ReturnType<typeof endpoints>;
export const http = endpoints();
