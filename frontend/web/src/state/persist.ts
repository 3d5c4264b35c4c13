// What the user typed survives a reload or a crash: the outbox (messages sent but not acknowledged) and
// each conversation's draft, in IndexedDB through `idb`, per user. Without IndexedDB (a private window
// that refuses it, tests) they live in memory only. The tabs of a browser share it: a tab deletes a stored
// draft only while it is the one that tab last read or wrote, and says so to the others (BroadcastChannel),
// so that one still holding a draft there writes it again.
import { openDB, type DBSchema, type IDBPDatabase, type IDBPObjectStore } from "idb";
import type { Attachment } from "../api/types";

export interface OutboxRecord {
  user: number;
  client_id: string;
  conversation: number;
  body: string;
  reply_to: string | null;
  /** The thread it replies in (absent in records kept before threads existed). */
  thread_root?: string | null;
  attachments: Attachment[];
  created_at: string;
  /** Set once the send failed for good (see docs/web.md); pending records are sent again on load. */
  failure: { code: string; detail: string } | null;
}

export interface DraftRecord {
  user: number;
  conversation: number;
  text: string;
}

export interface LocalStore {
  outbox(user: number): Promise<OutboxRecord[]>;
  /** Resolves once the record is on disk. `clearDraft`: the message was its conversation's draft, which the
   * same write deletes (after a crash, the text is either still the draft or in the outbox, never both) —
   * unless another tab has written its own draft there since. */
  putOutbox(record: OutboxRecord, options?: { clearDraft?: boolean }): Promise<void>;
  deleteOutbox(user: number, clientId: string): Promise<void>;
  drafts(user: number): Promise<DraftRecord[]>;
  /** An empty text deletes the draft (not another tab's, written since). */
  putDraft(record: DraftRecord): Promise<void>;
  /** `listener` hears of every stored draft another tab deleted (it sent it, or emptied its box). */
  onDraftTaken(listener: (user: number, conversation: number) => void): () => void;
  /** Forget everything of the user (logging out on a shared computer). */
  forget(user: number): Promise<void>;
}

interface ParleySchema extends DBSchema {
  outbox: { key: [number, string]; value: OutboxRecord; indexes: { user: number } };
  drafts: { key: [number, number]; value: DraftRecord; indexes: { user: number } };
}

const DB_NAME = "parley";
const DB_VERSION = 1;

export async function openLocalStore(name = DB_NAME): Promise<LocalStore> {
  if (typeof indexedDB === "undefined") return memoryStore();
  let db: IDBPDatabase<ParleySchema>;
  try {
    db = await openDB<ParleySchema>(name, DB_VERSION, {
      upgrade(database) {
        database.createObjectStore("outbox", { keyPath: ["user", "client_id"] }).createIndex("user", "user");
        database.createObjectStore("drafts", { keyPath: ["user", "conversation"] }).createIndex("user", "user");
      },
    });
  } catch {
    return memoryStore(); // refused (private browsing in some browsers, a full disk)
  }
  // What this page last read or wrote as each stored draft (`user conversation` → text). Another tab may have
  // written its own since: sending here, or emptying the box, then deletes nothing (it deleted that tab's).
  const known = new Map<string, string>();
  const tabs = draftChannel(name);
  /** Delete the stored draft if it is still the one this page knows; whether it did. */
  const takeOwnDraft = async (drafts: DraftStore, user: number, conversation: number): Promise<boolean> => {
    const stored = await drafts.get([user, conversation]);
    const own = stored !== undefined && stored.text === known.get(`${user} ${conversation}`);
    known.delete(`${user} ${conversation}`);
    if (own) await drafts.delete([user, conversation]);
    return own;
  };
  return {
    outbox: async (user) =>
      (await db.getAllFromIndex("outbox", "user", user)).sort((a, b) => a.created_at.localeCompare(b.created_at)),
    putOutbox: async (record, { clearDraft = false } = {}) => {
      const tx = db.transaction(["outbox", "drafts"], "readwrite");
      const [, taken] = await Promise.all([
        tx.objectStore("outbox").put(record),
        clearDraft && takeOwnDraft(tx.objectStore("drafts"), record.user, record.conversation),
        tx.done, // committed, not only requested: a reload straight after may abort what is not
      ]);
      if (taken) tabs.taken(record.user, record.conversation);
    },
    deleteOutbox: (user, clientId) => db.delete("outbox", [user, clientId]),
    drafts: async (user) => {
      const records = await db.getAllFromIndex("drafts", "user", user);
      for (const r of records) known.set(`${r.user} ${r.conversation}`, r.text);
      return records;
    },
    putDraft: async (record) => {
      if (record.text) {
        await db.put("drafts", record);
        known.set(`${record.user} ${record.conversation}`, record.text);
        return;
      }
      const tx = db.transaction("drafts", "readwrite");
      const [taken] = await Promise.all([takeOwnDraft(tx.store, record.user, record.conversation), tx.done]);
      if (taken) tabs.taken(record.user, record.conversation);
    },
    onDraftTaken: tabs.listen,
    forget: async (user) => {
      const tx = db.transaction(["outbox", "drafts"], "readwrite");
      const outbox = tx.objectStore("outbox");
      const drafts = tx.objectStore("drafts");
      for (const key of await outbox.index("user").getAllKeys(user)) await outbox.delete(key);
      for (const key of await drafts.index("user").getAllKeys(user)) await drafts.delete(key);
      await tx.done;
    },
  };
}

type DraftStore = IDBPObjectStore<ParleySchema, ArrayLike<"drafts" | "outbox">, "drafts", "readwrite">;

/** The other tabs of this browser, told of each stored draft a tab deleted. */
function draftChannel(name: string) {
  let channel: BroadcastChannel | null = null;
  const open = () => (channel ??= typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(`${name}-drafts`));
  return {
    taken: (user: number, conversation: number) => open()?.postMessage({ user, conversation }),
    listen: (listener: (user: number, conversation: number) => void) => {
      const hear = (event: MessageEvent<{ user: number; conversation: number }>) =>
        listener(event.data.user, event.data.conversation);
      open()?.addEventListener("message", hear);
      return () => channel?.removeEventListener("message", hear);
    },
  };
}

/** The same contract, in memory: nothing survives a reload, and no other tab shares it. */
export function memoryStore(): LocalStore {
  const outbox = new Map<string, OutboxRecord>();
  const drafts = new Map<string, DraftRecord>();
  return {
    outbox: async (user) => [...outbox.values()].filter((r) => r.user === user),
    putOutbox: async (record, { clearDraft = false } = {}) => {
      outbox.set(`${record.user} ${record.client_id}`, record);
      if (clearDraft) drafts.delete(`${record.user} ${record.conversation}`);
    },
    deleteOutbox: async (user, clientId) => void outbox.delete(`${user} ${clientId}`),
    drafts: async (user) => [...drafts.values()].filter((r) => r.user === user),
    putDraft: async (record) => {
      const key = `${record.user} ${record.conversation}`;
      if (record.text) drafts.set(key, record);
      else drafts.delete(key);
    },
    forget: async (user) => {
      for (const [key, record] of outbox) if (record.user === user) outbox.delete(key);
      for (const [key, record] of drafts) if (record.user === user) drafts.delete(key);
    },
    onDraftTaken: () => () => undefined,
  };
}
