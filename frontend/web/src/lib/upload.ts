// Attachments: ask for an upload slot, send the bytes with progress (XHR: fetch can't report upload
// progress), then confirm. S3 gets a presigned POST form; embedded mode gets a PUT to our own server.
// Removed from the message box (`signal` aborted), the transfer stops and the server's record goes.
import type { ApiClient } from "../api/client";
import type { Endpoints } from "../api/endpoints";
import type { StoredFile, UploadTicket } from "../api/types";

export async function uploadFile(
  http: Endpoints,
  client: ApiClient,
  file: File,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<StoredFile> {
  const ticket = await http.createUpload({
    name: file.name || "pasted-image.png",
    size: file.size,
    content_type: file.type || "application/octet-stream",
  });
  try {
    signal?.throwIfAborted();
    const token = await client.freshToken();
    await sendBytes(ticket, file, token, onProgress, signal);
    signal?.throwIfAborted();
    const stored = await http.completeUpload(ticket.id);
    signal?.throwIfAborted();
    return stored;
  } catch (error) {
    // Removed at any step after the server made its record: the record goes, and whatever bytes reached
    // storage (they waited a day for the purge).
    if (signal?.aborted) discardUpload(client, ticket.id);
    throw error;
  }
}

/** Tell the server an upload is not wanted (DELETE /files/{id}/: pending or ready, not yet in a message). If
 * that fails, a pending one is purged within a day. */
export function discardUpload(client: ApiClient, id: string): void {
  client.request<undefined>(`files/${id}/`, { method: "DELETE" }).catch(() => undefined);
}

function sendBytes(
  ticket: UploadTicket,
  file: File,
  token: string | null,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const { url, method, fields, headers } = ticket.upload;
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    const sameOrigin = new URL(url, window.location.href).origin === window.location.origin;
    if (sameOrigin && token && !headers?.Authorization) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    for (const [name, value] of Object.entries(headers ?? {})) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => (xhr.status < 300 ? resolve() : reject(new Error(`Upload failed (${xhr.status})`)));
    xhr.onerror = () => reject(new Error("Upload failed: network error"));
    xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    if (method === "POST") {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields ?? {})) form.append(name, value);
      form.append("file", file);
      xhr.send(form);
    } else {
      if (!headers?.["Content-Type"]) xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
      xhr.send(file);
    }
  });
}
