// A suspended account's messages that this device had not sent yet: failed, and kept for when it can log in
// again (the outbox is in IndexedDB, src/state/persist.ts).
import type { LocalStore } from "../state/persist";
import { NO_ANSWER } from "../state/store";

/** The failure recorded on them: shown as "Not sent: your account was suspended", with Retry and Discard. */
export const SUSPENDED_FAILURE = { code: "account_suspended", detail: "your account was suspended" };

/** Fail every message of `user` still to be sent (pending, or failed for want of an answer, which would be
 * sent again by itself): sent by themselves after a reinstatement, perhaps weeks later, they would surprise.
 * Resolves to how many there were. */
export async function failUnsent(local: Promise<LocalStore>, user: number): Promise<number> {
  const store = await local;
  const unsent = (await store.outbox(user)).filter((r) => !r.failure || r.failure.code === NO_ANSWER);
  for (const record of unsent) await store.putOutbox({ ...record, failure: SUSPENDED_FAILURE });
  return unsent.length;
}
