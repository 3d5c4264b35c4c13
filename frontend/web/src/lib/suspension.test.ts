import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { openLocalStore, type OutboxRecord } from "../state/persist";
import { NO_ANSWER } from "../state/store";
import { outboxRecord } from "../test/fixtures";
import { failUnsent, SUSPENDED_FAILURE } from "./suspension";

const record = (user: number, clientId: string, failure: OutboxRecord["failure"] = null) =>
  outboxRecord(user, clientId, `2026-01-01T00:00:0${clientId.length}Z`, failure);

describe("failUnsent", () => {
  it("fails what was still to be sent, keeps other refusals, and counts", async () => {
    const local = openLocalStore("parley-suspension-test");
    const store = await local;
    await store.putOutbox(record(1, "a"));
    await store.putOutbox(record(1, "bb", { code: NO_ANSWER, detail: "No answer from the server" }));
    await store.putOutbox(record(1, "ccc", { code: "forbidden", detail: "Not a member" }));
    await store.putOutbox(record(2, "d"));

    expect(await failUnsent(local, 1)).toBe(2);

    const after = await (await openLocalStore("parley-suspension-test")).outbox(1);
    expect(after.map((r) => [r.client_id, r.failure])).toEqual([
      ["a", SUSPENDED_FAILURE],
      ["bb", SUSPENDED_FAILURE],
      ["ccc", { code: "forbidden", detail: "Not a member" }],
    ]);
    expect((await store.outbox(2))[0]?.failure).toBeNull(); // someone else's: untouched
    expect(await failUnsent(local, 1)).toBe(0);
  });
});
