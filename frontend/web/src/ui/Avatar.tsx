import { useState } from "react";
import { initials } from "../lib/names";
import type { PresenceStatus } from "../realtime/protocol";
import { useBlobUrl } from "./useBlobUrl";

interface Props {
  name: string;
  presence?: PresenceStatus | undefined;
  /** The person's `avatar_url` (read with the Bearer token), or null/undefined: their initials. */
  url?: string | null | undefined;
}

export function Avatar({ name, presence, url }: Props) {
  let hue = 0;
  for (const char of name) hue = (hue * 31 + char.charCodeAt(0)) % 360;
  return (
    // The initials are drawn by CSS (::before): decoration, not text that a link's name must contain. A
    // picture covers them once it has loaded; one that fails to load leaves them showing.
    <span className="avatar" style={{ background: `hsl(${hue} 45% 32%)` }} data-initials={initials(name)} aria-hidden="true">
      {url && <AvatarPicture url={url} name={name} />}
      {presence && <span className={`presence presence-${presence}`} />}
    </span>
  );
}

function AvatarPicture({ url, name }: { url: string; name: string }) {
  const src = useBlobUrl(url);
  const [failed, setFailed] = useState<string | null>(null);
  if (!src || failed === src) return null;
  // Named for whoever reads the image itself (an image search, a copied picture); the avatar as a whole
  // stays decoration beside the name it always comes with, as the initials are.
  return <img className="avatar-picture" src={src} alt={name} data-testid="avatar-picture" onError={() => setFailed(src)} />;
}
