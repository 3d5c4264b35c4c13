import { initials } from "../lib/names";

interface Props {
  name: string;
  presence?: "online" | "offline" | undefined;
}

export function Avatar({ name, presence }: Props) {
  let hue = 0;
  for (const char of name) hue = (hue * 31 + char.charCodeAt(0)) % 360;
  return (
    <span className="avatar" style={{ background: `hsl(${hue} 45% 42%)` }} aria-hidden="true">
      {initials(name)}
      {presence && <span className={`presence presence-${presence}`} />}
    </span>
  );
}
