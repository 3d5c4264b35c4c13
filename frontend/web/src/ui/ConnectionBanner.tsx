import { useEffect, useState } from "react";
import { TOO_MANY_SOCKETS, type StatusInfo } from "../realtime/socket";
import { useApp, useChat } from "./context";

const TOO_MANY_SOCKETS_TEXT = "Parley is open in too many tabs or on too many devices: close one";

/** What a screen reader hears of the connection: the state, once as it changes. Not the countdown (it was the
 * live region's text, read out at every second of it), and one line for the whole lost-and-retrying cycle,
 * whose connecting and waiting turns follow each other every few seconds. */
export function spokenStatus(connection: StatusInfo): string {
  switch (connection.status) {
    case "offline":
      if (connection.reason === "No network") return "You are offline. Messages will arrive when the connection is back.";
      return connection.reason === TOO_MANY_SOCKETS ? `${TOO_MANY_SOCKETS_TEXT}.` : "Connection lost; reconnecting.";
    case "connecting":
      return connection.attempt > 0 ? "Connection lost; reconnecting." : "";
    case "suspended":
      return `Disconnected: ${connection.reason ?? "your account was suspended"}.`;
    case "outdated":
      return "This version of Parley is out of date: reload the page.";
    default:
      return "";
  }
}

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
      const retrying = `${seconds !== null ? ` in ${seconds} s` : ""}…`;
      if (connection.reason === "No network") text = spokenStatus(connection); // the same words, no countdown
      else if (connection.reason === TOO_MANY_SOCKETS) text = `${TOO_MANY_SOCKETS_TEXT}. Trying again${retrying}`;
      else text = `Connection lost. Reconnecting${retrying}`;
      break;
    }
    case "connecting":
      text = connection.attempt > 0 ? "Reconnecting…" : null;
      break;
    case "suspended":
    case "outdated":
      text = spokenStatus(connection);
      break;
    default:
      text = null;
  }

  // The live line is always there (a region added with its text is not reliably read) and holds only the
  // state; the banner shows the countdown, outside it.
  return (
    <div className="banner-slot">
      <p className="visually-hidden" role="status" data-testid="connection-status">
        {spokenStatus(connection)}
      </p>
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
