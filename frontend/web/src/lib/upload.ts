// Attachments: ask for an upload slot, send the bytes with progress (XHR: fetch can't report upload
// progress), then confirm. S3 gets a presigned POST form; embedded mode gets a PUT to our own server.
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
  const token = await client.freshToken();
  await sendBytes(ticket, file, token, onProgress, signal);
  return http.completeUpload(ticket.id);
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
    signal?.addEventListener("abort", () => xhr.abort());
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
