import { initials } from "../lib/names";
import type { PresenceStatus } from "../realtime/protocol";

interface Props {
  name: string;
  presence?: PresenceStatus | undefined;
}

export function Avatar({ name, presence }: Props) {
  let hue = 0;
  for (const char of name) hue = (hue * 31 + char.charCodeAt(0)) % 360;
  return (
    // The initials are drawn by CSS (::before): decoration, not text that a link's name must contain.
    <span className="avatar" style={{ background: `hsl(${hue} 45% 32%)` }} data-initials={initials(name)} aria-hidden="true">
      {presence && <span className={`presence presence-${presence}`} />}
    </span>
  );
}
