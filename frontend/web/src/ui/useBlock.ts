import { useEffect, useState } from "react";
import { useApp } from "./context";

/** Whether I blocked the other person of a direct conversation (`peerId`), read from my block list when it
 * opens (so it still shows after a reload), and blocking or unblocking them from there. */
export function useBlock(peerId: number | undefined) {
  const { http } = useApp();
  const [known, setKnown] = useState<{ peer: number; blocked: boolean } | null>(null);
  useEffect(() => {
    if (peerId === undefined) return;
    let cancelled = false;
    http.blocks().then(
      (blocks) => !cancelled && setKnown({ peer: peerId, blocked: blocks.some((b) => b.user.id === peerId) }),
      () => undefined, // not known: Block is offered, and the server says so if they are blocked already
    );
    return () => {
      cancelled = true;
    };
  }, [http, peerId]);
  const change = async (blocked: boolean) => {
    if (peerId === undefined) return;
    await (blocked ? http.block(peerId) : http.unblock(peerId));
    setKnown({ peer: peerId, blocked });
  };
  return {
    blocked: known !== null && known.peer === peerId && known.blocked,
    block: () => change(true),
    unblock: () => change(false),
  };
}
