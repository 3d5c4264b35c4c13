// What a role in a group or channel lets one do, as the server decides it (docs/api.md): owners change roles,
// owners and admins manage the rest (rename, who may pin, @all and @here, members).
import type { Conversation, Role } from "../api/types";

export const ROLE_NAMES: Record<Role, string> = { owner: "Owner", admin: "Admin", member: "Member" };

export const ROLES: Role[] = ["owner", "admin", "member"];

export const manages = (conversation: Pick<Conversation, "role">): boolean =>
  conversation.role === "owner" || conversation.role === "admin";

export const owns = (conversation: Pick<Conversation, "role">): boolean => conversation.role === "owner";
