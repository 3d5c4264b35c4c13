// A web push's payload (docs/notifications.md) and where its click goes; used by the service worker (src/sw.ts).

export interface PushData {
  title?: string;
  body?: string;
  url?: string;
  tag?: string;
  /** The message's seq in its conversation: the click opens the conversation there. */
  seq?: number;
}

/** The push's address, at its message (`?m=<seq>`, the jump search uses) when the push names one and the
 * address does not already. */
export function pushTarget(data: PushData, origin: string): string {
  const url = new URL(data.url || "/", origin);
  if (typeof data.seq === "number" && Number.isInteger(data.seq) && !url.searchParams.has("m")) {
    url.searchParams.set("m", String(data.seq));
  }
  return url.href;
}
