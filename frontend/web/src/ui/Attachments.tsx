import { Icon } from "./Icon";
import { useEffect, useState } from "react";
import type { Attachment } from "../api/types";
import { formatSize } from "../lib/names";
import { useApp } from "./context";

// Thumbnails and downloads need the Bearer token, which <img src> can't send: fetch them and show
// blob URLs, cached for the session so scrolling doesn't fetch twice.
const blobUrls = new Map<string, Promise<string>>();

/** A blob URL for the first of `paths` that loads (a thumbnail may not be made yet: then the original). */
function useBlobUrl(...paths: string[]): string | null {
  const { client } = useApp();
  const [url, setUrl] = useState<string | null>(null);
  const key = paths.join(" ");
  useEffect(() => {
    let cancelled = false;
    let pending = blobUrls.get(key);
    if (!pending) {
      const [first, ...rest] = key.split(" ");
      pending = rest.reduce(
        (chain, path) => chain.catch(() => client.blob(path)),
        client.blob(first ?? ""),
      ).then((blob) => URL.createObjectURL(blob));
      pending.catch(() => blobUrls.delete(key));
      blobUrls.set(key, pending);
    }
    pending.then(
      (value) => !cancelled && setUrl(value),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [key, client]);
  return url;
}

const isImage = (a: Attachment) => a.content_type.startsWith("image/");

export function Attachments({ items }: { items: Attachment[] }) {
  const [open, setOpen] = useState<Attachment | null>(null);
  if (!items.length) return null;
  return (
    <div className="attachments">
      {items.map((a) =>
        isImage(a) ? <Thumbnail key={a.id} attachment={a} onOpen={() => setOpen(a)} /> : <FileLink key={a.id} attachment={a} />,
      )}
      {open && <Lightbox attachment={open} onClose={() => setOpen(null)} />}
    </div>
  );
}

function Thumbnail({ attachment, onOpen }: { attachment: Attachment; onOpen: () => void }) {
  const { http } = useApp();
  const url = useBlobUrl(attachment.thumbnail_url ?? http.thumbnailPath(attachment.id), http.downloadPath(attachment.id));
  const ratio = attachment.width && attachment.height ? attachment.width / attachment.height : 4 / 3;
  return (
    <button type="button" className="thumbnail" onClick={onOpen} aria-label={`Open image ${attachment.name}`}>
      {url ? (
        <img src={url} alt={attachment.name} data-testid="thumbnail" style={{ aspectRatio: String(ratio) }} />
      ) : (
        <span className="thumbnail-placeholder" style={{ aspectRatio: String(ratio) }} />
      )}
    </button>
  );
}

function FileLink({ attachment }: { attachment: Attachment }) {
  const { client, http } = useApp();
  const [busy, setBusy] = useState(false);
  async function download() {
    setBusy(true);
    try {
      const url = URL.createObjectURL(await client.blob(http.downloadPath(attachment.id)));
      const a = document.createElement("a");
      a.href = url;
      a.download = attachment.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } finally {
      setBusy(false);
    }
  }
  return (
    <button type="button" className="file-link" onClick={() => void download()} disabled={busy}>
      <Icon name="file" /> <span className="file-name">{attachment.name}</span>{" "}
      <span className="muted">{busy ? "downloading…" : formatSize(attachment.size)}</span>
    </button>
  );
}

function Lightbox({ attachment, onClose }: { attachment: Attachment; onClose: () => void }) {
  const { http } = useApp();
  const url = useBlobUrl(http.downloadPath(attachment.id));
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="lightbox" role="dialog" aria-modal="true" aria-label={attachment.name} onClick={onClose}>
      <button type="button" className="icon lightbox-close" aria-label="Close image" autoFocus onClick={onClose}>
        <Icon name="close" size={26} />
      </button>
      {url ? (
        <img src={url} alt={attachment.name} data-testid="full-image" onClick={(e) => e.stopPropagation()} />
      ) : (
        <p>Loading…</p>
      )}
    </div>
  );
}
