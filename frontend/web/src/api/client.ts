// The HTTP client: JSON in and out, the access token in memory only, and a 401 answered by one
// refresh (the refresh token travels in the HttpOnly cookie) and one retry. A suspended account ends the
// session here, whichever answer says so first (a REST 403 `account_suspended`, a refused refresh, the
// socket's 4403, which the shell reports).
import type { ApiErrorBody } from "./types";

export const API_BASE = "/api/v1";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, unknown>;

  constructor(status: number, body: Partial<ApiErrorBody> | null) {
    super(body?.error?.detail ?? `Request failed (${status})`);
    this.status = status;
    this.code = body?.error?.code ?? "http_error";
    this.fields = body?.error?.fields ?? {};
  }

  /** The first message for a form field, if the server named one. */
  fieldMessage(field: string): string | null {
    const value = this.fields[field];
    if (Array.isArray(value) && typeof value[0] === "string") return value[0];
    return typeof value === "string" ? value : null;
  }
}

type Fetch = typeof fetch;
export interface RefreshOutcome {
  token: string | null;
  /** Whether the server answered: a null token from a server that did is a session that is over. */
  reached: boolean;
  /** The server refused it because the account is suspended. */
  suspended?: boolean;
}
type Listener = (token: string | null) => void;

/** The server's refusal of a suspended account (docs/accounts.md): a 403 with this code. */
export const isSuspension = (error: unknown): error is ApiError =>
  error instanceof ApiError && error.status === 403 && error.code === "account_suspended";

export interface RequestOptions {
  method?: string;
  body?: unknown;
  auth?: boolean; // default true: send the Bearer token and refresh on 401
  signal?: AbortSignal;
}

export class ApiClient {
  private access: string | null = null;
  private refreshing: Promise<RefreshOutcome> | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly suspendedListeners = new Set<() => void>();
  private readonly fetchImpl: Fetch;

  constructor(fetchImpl?: Fetch) {
    this.fetchImpl = fetchImpl ?? ((input, init) => fetch(input, init));
  }

  get token(): string | null {
    return this.access;
  }

  setToken(token: string | null): void {
    this.access = token;
    for (const listener of this.listeners) listener(token);
  }

  onTokenChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `listener` hears once the server has said the account is suspended. */
  onSuspended(listener: () => void): () => void {
    this.suspendedListeners.add(listener);
    return () => this.suspendedListeners.delete(listener);
  }

  /** The account is suspended: the token goes, and the session with it. Not a token change: the token
   * listeners hear of a session ended elsewhere, which forgets this device's outbox; a suspension keeps it,
   * failed, for when the account is reinstated. */
  suspended(): void {
    this.access = null;
    for (const listener of this.suspendedListeners) listener();
  }

  /** Trade the refresh cookie for a new access token (null: none to be had); concurrent callers share one request. */
  async refresh(): Promise<string | null> {
    return (await this.refreshSession()).token;
  }

  /** The same, telling "no session" (the server said no) from "no answer" (offline, or the server down). */
  refreshSession(): Promise<RefreshOutcome> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** A token good for at least `marginSeconds` more, refreshing when it is about to expire. */
  async freshToken(marginSeconds = 30): Promise<string | null> {
    const token = this.access;
    if (token && tokenExpiresAt(token) - Date.now() > marginSeconds * 1000) return token;
    return this.refresh();
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth ?? true;
    let response = await this.send(path, options, auth ? this.access : null);
    if (response.status === 401 && auth) {
      const token = await this.refresh();
      if (token) response = await this.send(path, options, token);
    }
    try {
      return await parse<T>(response);
    } catch (error) {
      if (auth && isSuspension(error)) this.suspended(); // a login's refusal is the login screen's to say
      throw error;
    }
  }

  /** A binary resource (downloads, thumbnails) with the same refresh-once rule. */
  async blob(path: string): Promise<Blob> {
    let response = await this.send(path, {}, this.access);
    if (response.status === 401 && (await this.refresh())) response = await this.send(path, {}, this.access);
    if (!response.ok) throw new ApiError(response.status, null);
    return response.blob();
  }

  private send(path: string, options: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    // A form (a file upload) is sent as multipart: the browser writes its Content-Type, boundary included.
    const form = typeof FormData !== "undefined" && options.body instanceof FormData ? options.body : null;
    if (options.body !== undefined && !form) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    const url = path.startsWith("/") ? path : `${API_BASE}/${path}`;
    return this.fetchImpl(url, {
      method: options.method ?? "GET",
      headers,
      body: form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      credentials: "same-origin",
      signal: options.signal,
    });
  }

  private async doRefresh(): Promise<RefreshOutcome> {
    try {
      const response = await oneTabAtATime(() => this.send("auth/token/refresh/", { method: "POST", body: {} }, null));
      if (response.status >= 500) return { token: null, reached: false }; // a proxy with no server behind it
      if (!response.ok && isSuspension(await parse<unknown>(response).catch((e: unknown) => e))) {
        this.suspended();
        return { token: null, reached: true, suspended: true };
      }
      const token = response.ok ? ((await response.json()) as { access: string }).access : null;
      this.setToken(token);
      return { token, reached: true };
    } catch {
      return { token: null, reached: false }; // offline: keep the current token, the caller retries later
    }
  }
}

/** The refresh cookie is shared by every tab of the site, and each use rotates it (the one sent is refused
 * from then on): two tabs refreshing at once had one of them refused, and shown as signed out. The tabs take
 * turns (Web Locks), so each sends the cookie as the one before it left it. */
function oneTabAtATime<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === "undefined" ? undefined : navigator.locks;
  return locks ? (locks.request("parley-token-refresh", work) as Promise<T>) : work();
}

async function parse<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const body: unknown = text ? safeJson(text) : null;
  if (!response.ok) throw new ApiError(response.status, body as Partial<ApiErrorBody> | null);
  return body as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A JWT's claims (read, not verified: the server does that); empty when they can't be read. */
function tokenClaims(token: string): Record<string, unknown> {
  try {
    const payload = token.split(".")[1] ?? "";
    return JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Milliseconds since the epoch at which a JWT expires; 0 when it can't be read. */
export function tokenExpiresAt(token: string): number {
  const exp = tokenClaims(token).exp;
  return typeof exp === "number" ? exp * 1000 : 0;
}

/** Whose token it is (simplejwt's user_id claim); null when it can't be read. */
export function tokenUserId(token: string): number | null {
  const id = tokenClaims(token).user_id;
  return typeof id === "number" ? id : null;
}

export const api = new ApiClient();
