import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError, tokenExpiresAt, tokenUserId } from "./client";

const json = (status: number, body: unknown) =>
  new Response(body === null ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function jwt(exp: number): string {
  const payload = btoa(JSON.stringify({ exp })).replace(/=+$/, "");
  return `h.${payload}.s`;
}

describe("ApiClient", () => {
  it("sends the in-memory token and, on 401, refreshes once and retries", async () => {
    const calls: { url: string; auth: string | null }[] = [];
    const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get("Authorization");
      calls.push({ url: String(url), auth });
      if (String(url).endsWith("/auth/token/refresh/")) return json(200, { access: "new" });
      return auth === "Bearer new" ? json(200, { ok: true }) : json(401, { error: { code: "not_authenticated", detail: "x", fields: {} } });
    });
    const client = new ApiClient(fetchImpl as typeof fetch);
    client.setToken("old");
    await expect(client.request("users/me/")).resolves.toEqual({ ok: true });
    expect(calls.map((c) => [c.url, c.auth])).toEqual([
      ["/api/v1/users/me/", "Bearer old"],
      ["/api/v1/auth/token/refresh/", null],
      ["/api/v1/users/me/", "Bearer new"],
    ]);
    expect(client.token).toBe("new");
  });

  it("gives up after one refresh and surfaces the error", async () => {
    const fetchImpl = vi.fn(async (url: RequestInfo | URL) =>
      String(url).endsWith("/refresh/")
        ? json(401, { error: { code: "token_not_valid", detail: "expired", fields: {} } })
        : json(401, { error: { code: "not_authenticated", detail: "Log in", fields: {} } }),
    );
    const client = new ApiClient(fetchImpl as typeof fetch);
    client.setToken("old");
    const error = await client.request("users/me/").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(fetchImpl).toHaveBeenCalledTimes(2);
    expect(client.token).toBeNull();
  });

  it("shares one refresh between concurrent 401s", async () => {
    let refreshes = 0;
    const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      if (String(url).endsWith("/refresh/")) {
        refreshes += 1;
        return json(200, { access: "new" });
      }
      return new Headers(init?.headers).get("Authorization") === "Bearer new" ? json(200, {}) : json(401, null);
    });
    const client = new ApiClient(fetchImpl as typeof fetch);
    await Promise.all([client.request("a/"), client.request("b/"), client.request("c/")]);
    expect(refreshes).toBe(1);
  });

  it("reads field errors from the one error shape", async () => {
    const client = new ApiClient((async () =>
      json(400, { error: { code: "invalid", detail: "Bad", fields: { username: ["Taken."] } } })) as typeof fetch);
    const error = (await client.request("auth/register/", { method: "POST", body: {}, auth: false }).catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe("invalid");
    expect(error.fieldMessage("username")).toBe("Taken.");
  });

  it("refreshes a token that is about to expire", async () => {
    const fetchImpl = vi.fn(async () => json(200, { access: jwt(Date.now() / 1000 + 300) }));
    const client = new ApiClient(fetchImpl as typeof fetch);
    client.setToken(jwt(Date.now() / 1000 + 10));
    const token = await client.freshToken(30);
    expect(fetchImpl).toHaveBeenCalledOnce();
    expect(tokenExpiresAt(token ?? "")).toBeGreaterThan(Date.now() + 200_000);
  });

  it("tells a session that is over from a server that cannot be reached", async () => {
    const answers: (() => Promise<Response>)[] = [
      async () => json(502, null),
      async () => Promise.reject(new TypeError("Failed to fetch")),
      async () => json(401, { error: { code: "token_not_valid", detail: "Expired", fields: {} } }),
    ];
    const client = new ApiClient((() => (answers.shift() as () => Promise<Response>)()) as typeof fetch);
    const changes: (string | null)[] = [];
    client.setToken("old");
    client.onTokenChange((token) => changes.push(token));
    // no answer (a proxy without its server, then no network): the token stays, nobody is signed out
    expect(await client.refreshSession()).toEqual({ token: null, reached: false });
    expect(await client.refreshSession()).toEqual({ token: null, reached: false });
    expect(client.token).toBe("old");
    expect(changes).toEqual([]);
    // a refusal: the session is over
    expect(await client.refreshSession()).toEqual({ token: null, reached: true });
    expect(changes).toEqual([null]);
  });

  it("ends the session as suspended on a REST 403 account_suspended, not as one ended elsewhere", async () => {
    const suspended = { error: { code: "account_suspended", detail: "This account is suspended.", fields: {} } };
    const client = new ApiClient((async () => json(403, suspended)) as typeof fetch);
    client.setToken("old");
    const heard: string[] = [];
    client.onSuspended(() => heard.push("suspended"));
    client.onTokenChange((token) => heard.push(`token ${token}`));
    const error = await client.request("conversations/7/").catch((e: unknown) => e);
    expect((error as ApiError).code).toBe("account_suspended");
    expect(heard).toEqual(["suspended"]);
    expect(client.token).toBeNull();
    // a login refused so is the login screen's to say: nothing ends
    await client.request("auth/token/", { method: "POST", body: {}, auth: false }).catch(() => undefined);
    expect(heard).toEqual(["suspended"]);
  });

  it("says a refresh was refused because the account is suspended", async () => {
    const suspended = { error: { code: "account_suspended", detail: "This account is suspended.", fields: {} } };
    const client = new ApiClient((async () => json(403, suspended)) as typeof fetch);
    const heard: string[] = [];
    client.onSuspended(() => heard.push("suspended"));
    client.onTokenChange((token) => heard.push(`token ${token}`));
    expect(await client.refreshSession()).toEqual({ token: null, reached: true, suspended: true });
    expect(heard).toEqual(["suspended"]);
  });

  it("reads whose token it is, and nothing from a token it cannot read", () => {
    const token = `h.${btoa(JSON.stringify({ user_id: 42, exp: 1 })).replace(/=+$/, "")}.s`;
    expect(tokenUserId(token)).toBe(42);
    expect(tokenUserId("not a token")).toBeNull();
    expect(tokenExpiresAt("not a token")).toBe(0);
  });
});
