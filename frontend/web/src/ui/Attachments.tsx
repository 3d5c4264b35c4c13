import { Icon } from "./Icon";
import { useEffect, useRef, useState } from "react";
import { useReturnFocus } from "./Dialog";
import { useBlobUrl } from "./useBlobUrl";
import type { Attachment } from "../api/types";
import { isInlineImage } from "../lib/limits";
import { formatSize } from "../lib/names";
import { useApp } from "./context";

export function Attachments({ items }: { items: Attachment[] }) {
  const [open, setOpen] = useState<Attachment | null>(null);
  if (!items.length) return null;
  return (
    <div className="attachments">
      {items.map((a) =>
        isInlineImage(a.content_type) ? <Thumbnail key={a.id} attachment={a} onOpen={() => setOpen(a)} /> : <FileLink key={a.id} attachment={a} />,
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
  const box = useRef<HTMLDivElement>(null);
  const close = useRef<HTMLButtonElement>(null);
  useReturnFocus(box); // to the thumbnail that opened it (it fell to the top of the page)
  useEffect(() => close.current?.focus(), []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div ref={box} className="lightbox" role="dialog" aria-modal="true" aria-label={attachment.name} onClick={onClose}>
      <button ref={close} type="button" className="icon lightbox-close" aria-label="Close image" onClick={onClose}>
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
