import { useCallback, useState } from "react";
import type { Attachment } from "../api/types";
import { uploadFile } from "../lib/upload";
import { useApp } from "./context";

export interface Upload {
  key: string;
  name: string;
  progress: number;
  status: "uploading" | "done" | "error";
  result?: Attachment;
  error?: string;
}

const MAX_FILES = 10;

/** Files being attached to the next message, each with its own progress. */
export function useUploads() {
  const { http, client } = useApp();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const update = (key: string, change: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));

  const add = useCallback(
    (files: File[]) => {
      for (const file of files.slice(0, MAX_FILES)) {
        const key = crypto.randomUUID();
        setUploads((list) => [...list, { key, name: file.name || "pasted image", progress: 0, status: "uploading" }]);
        uploadFile(http, client, file, (progress) => update(key, { progress })).then(
          (stored) => update(key, { status: "done", progress: 1, result: stored }),
          (e: unknown) => update(key, { status: "error", error: e instanceof Error ? e.message : "Upload failed" }),
        );
      }
    },
    [http, client],
  );

  const remove = (key: string) => setUploads((list) => list.filter((u) => u.key !== key));
  const clear = () => setUploads([]);
  const busy = uploads.some((u) => u.status === "uploading");
  const ready = uploads.flatMap((u) => (u.status === "done" && u.result ? [u.result] : []));
  return { uploads, add, remove, clear, busy, ready };
}
