// What the user typed survives a reload or a crash: the outbox (messages sent but not acknowledged) and
// each conversation's draft, in IndexedDB through `idb`, per user. Without IndexedDB (a private window
// that refuses it, tests) they live in memory only.
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
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
   * same write deletes (after a crash, the text is either still the draft or in the outbox, never both). */
  putOutbox(record: OutboxRecord, options?: { clearDraft?: boolean }): Promise<void>;
  deleteOutbox(user: number, clientId: string): Promise<void>;
  drafts(user: number): Promise<DraftRecord[]>;
  /** An empty text deletes the draft. */
  putDraft(record: DraftRecord): Promise<void>;
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
  return {
    outbox: async (user) =>
      (await db.getAllFromIndex("outbox", "user", user)).sort((a, b) => a.created_at.localeCompare(b.created_at)),
    putOutbox: async (record, { clearDraft = false } = {}) => {
      const tx = db.transaction(["outbox", "drafts"], "readwrite");
      await Promise.all([
        tx.objectStore("outbox").put(record),
        clearDraft && tx.objectStore("drafts").delete([record.user, record.conversation]),
        tx.done, // committed, not only requested: a reload straight after may abort what is not
      ]);
    },
    deleteOutbox: (user, clientId) => db.delete("outbox", [user, clientId]),
    drafts: (user) => db.getAllFromIndex("drafts", "user", user),
    putDraft: async (record) => {
      if (record.text) await db.put("drafts", record);
      else await db.delete("drafts", [record.user, record.conversation]);
    },
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

/** The same contract, in memory: nothing survives a reload. */
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
  };
}
