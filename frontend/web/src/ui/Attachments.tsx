import { Icon } from "./Icon";
import { useRef, useState } from "react";
import { useModal } from "./Dialog";
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

/** The image full size, in a modal <dialog> as the app's other dialogs (useModal): focus stays inside while it
 * is open (Tab went on to the page behind it), Escape or a click beside the image closes it, and focus goes
 * back to the thumbnail that opened it. */
function Lightbox({ attachment, onClose }: { attachment: Attachment; onClose: () => void }) {
  const { http } = useApp();
  const url = useBlobUrl(http.downloadPath(attachment.id));
  const dialog = useRef<HTMLDialogElement>(null);
  useModal(dialog, true);
  return (
    <dialog ref={dialog} className="lightbox" aria-label={attachment.name} onClose={onClose} onClick={onClose}>
      <button type="button" className="icon lightbox-close" aria-label="Close image" onClick={onClose}>
        <Icon name="close" size={26} />
      </button>
      {url ? (
        <img src={url} alt={attachment.name} data-testid="full-image" onClick={(e) => e.stopPropagation()} />
      ) : (
        <p>Loading…</p>
      )}
    </dialog>
  );
}
