import { useCallback, useRef, useState } from "react";
import type { Attachment } from "../api/types";
import { discardUpload, uploadFile } from "../lib/upload";
import { useApp } from "./context";

export interface Upload {
  key: string;
  name: string;
  progress: number;
  status: "uploading" | "done" | "error";
  result?: Attachment;
  error?: string;
}

/** A message takes at most this many files (files.selectors.MAX_ATTACHMENTS). */
export const MAX_FILES = 10;

/** Said beside a file of 0 bytes, which is not sent (the server would refuse it: "This file is empty."). */
export const EMPTY = "This file is empty: there is nothing in it to send.";

const nameOf = (file: File) => file.name || "pasted image";

/** Files being attached to the next message, each with its own progress. Files beyond MAX_FILES are left
 * out, and `leftOut` says which. One removed is not kept on the server: stopped if on its way, discarded if
 * there. */
export function useUploads() {
  const { http, client } = useApp();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const transfers = useRef(new Map<string, AbortController>()); // key → the upload on its way
  const [leftOut, setLeftOut] = useState<string | null>(null);
  const update = (key: string, change: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));
  // A failed upload goes with no message: it takes no place.
  const attaching = uploads.filter((u) => u.status !== "error").length;

  const add = useCallback(
    (picked: File[]) => {
      // An empty file has nothing to send: said at once, beside it (shown, the server's refusal was its
      // validator's "Ensure this value is greater than or equal to 1."); it takes no place.
      const empty = picked.filter((file) => file.size === 0);
      const files = picked.filter((file) => file.size > 0);
      const room = Math.max(0, MAX_FILES - attaching);
      setLeftOut(files.length > room ? leftOutNotice(files.slice(room)) : null);
      for (const file of empty) {
        const refused: Upload = { key: crypto.randomUUID(), name: nameOf(file), progress: 0, status: "error", error: EMPTY };
        setUploads((list) => [...list, refused]);
      }
      for (const file of files.slice(0, room)) {
        const key = crypto.randomUUID();
        const transfer = new AbortController();
        transfers.current.set(key, transfer);
        setUploads((list) => [...list, { key, name: nameOf(file), progress: 0, status: "uploading" }]);
        uploadFile(http, client, file, (progress) => update(key, { progress }), transfer.signal)
          .then(
            (stored) => update(key, { status: "done", progress: 1, result: stored }),
            (e: unknown) => update(key, { status: "error", error: e instanceof Error ? e.message : "Upload failed" }),
          )
          .finally(() => transfers.current.delete(key));
      }
    },
    [http, client, attaching],
  );

  // Removed while on its way, it went on and was stored (kept a day, until the purge): now it is stopped, and
  // discarded on the server (lib/upload.ts); removed once there, it is discarded too.
  const remove = (key: string) => {
    setLeftOut(null);
    const transfer = transfers.current.get(key);
    const stored = uploads.find((u) => u.key === key)?.result;
    if (transfer) transfer.abort();
    else if (stored) discardUpload(client, stored.id);
    transfers.current.delete(key);
    setUploads((list) => list.filter((u) => u.key !== key));
  };
  const clear = () => {
    setLeftOut(null);
    transfers.current.clear();
    setUploads([]);
  };
  const busy = uploads.some((u) => u.status === "uploading");
  const ready = uploads.flatMap((u) => (u.status === "done" && u.result ? [u.result] : []));
  return { uploads, add, remove, clear, busy, ready, leftOut };
}

function leftOutNotice(files: File[]): string {
  const names = files.map((f) => f.name || "a pasted image").join(", ");
  return `Not attached: ${names}. A message takes at most ${MAX_FILES} files; send these with the next one.`;
}
