import { useEffect, useState } from "react";
import { useApp, useChat } from "./context";

/** Says when the socket is down, when it will retry, and lets the user retry now. */
export function ConnectionBanner() {
  const { socket } = useApp();
  const { connection } = useChat();
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (connection.status !== "offline" || !connection.retryAt) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [connection.status, connection.retryAt]);

  let text: string | null;
  switch (connection.status) {
    case "offline": {
      const seconds = connection.retryAt ? Math.max(0, Math.ceil((connection.retryAt - now) / 1000)) : null;
      text =
        connection.reason === "No network"
          ? "You are offline. Messages will arrive when the connection is back."
          : `Connection lost. Reconnecting${seconds !== null ? ` in ${seconds} s` : ""}…`;
      break;
    }
    case "connecting":
      text = connection.attempt > 0 ? "Reconnecting…" : null;
      break;
    case "suspended":
      text = `Disconnected: ${connection.reason ?? "your account was suspended"}.`;
      break;
    case "outdated":
      text = "This version of Parley is out of date: reload the page.";
      break;
    default:
      text = null;
  }

  return (
    <div className="banner-slot" role="status" aria-live="polite">
      {text && (
        <div className={`banner banner-${connection.status}`} data-testid="connection-banner">
          <span>{text}</span>
          {connection.status === "offline" && (
            <button type="button" className="link" onClick={() => socket.reconnectNow()}>
              Retry now
            </button>
          )}
        </div>
      )}
    </div>
  );
}
