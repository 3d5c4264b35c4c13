// What tells me something waits while I look elsewhere: the count in the tab's title and on its icon, the
// desktop notification and its sound, and the banner that offers to turn notifications on.
import { useEffect, useState } from "react";
import { badgeIcon, shouldAlert, titleWith, totalAttention } from "../lib/attention";
import {
  bannerDismissed,
  dismissBanner,
  notificationPermission,
  playChime,
  showDesktopAlert,
  soundOn,
  turnOnNotifications,
} from "../lib/desktop";
import { conversationTitle, displayName } from "../lib/names";
import { plainPreview } from "../lib/preview";
import { messagePath, navigate } from "../lib/router";
import { useApp, useChat } from "./context";

/** Keeps the title and the icon's badge in step with the conversations; alerts on arrivals. Renders nothing. */
export function AttentionEffects() {
  const { store, me } = useApp();
  const { conversations, prefs } = useChat();
  const total = totalAttention(Object.values(conversations), prefs);

  useEffect(() => {
    document.title = titleWith(total);
    const icon = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (icon) icon.href = badgeIcon(total);
  }, [total]);

  useEffect(
    () => () => {
      document.title = titleWith(0);
      const icon = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
      if (icon) icon.href = badgeIcon(0);
    },
    [],
  );

  useEffect(
    () =>
      store.onArrival((message) => {
        const state = store.getState();
        const conversation = state.conversations[message.conversation];
        if (!conversation) return;
        const alert = shouldAlert(message, {
          me: me.id,
          conversation,
          prefs: state.prefs,
          active: state.active,
          visible: document.visibilityState === "visible",
          focused: document.hasFocus(),
        });
        if (!alert) return;
        const where = conversation.kind === "direct" ? "" : ` in ${conversationTitle(conversation, me)}`;
        showDesktopAlert(
          {
            title: `${displayName(message.sender)}${where}`,
            body: plainPreview(message.body, 120) || (message.attachments.length ? "sent an attachment" : ""),
            tag: `conversation-${conversation.id}`,
            path: messagePath(message),
          },
          (path) => navigate(path),
        );
        if (soundOn()) playChime();
      }),
    [store, me],
  );
  return null;
}

/** The offer to turn on desktop notifications, until it is taken or dismissed. Asking happens on its button,
 * never on load. */
export function NotificationsBanner() {
  const { http } = useApp();
  const [hidden, setHidden] = useState(() => notificationPermission() !== "default" || bannerDismissed());
  if (hidden) return null;
  return (
    <section className="notify-offer" aria-label="Desktop notifications" data-testid="notifications-banner">
      <p>Get a desktop notification when a message comes while Parley is in the background.</p>
      <div className="notify-offer-actions">
        <button type="button" onClick={() => void turnOnNotifications(http).finally(() => setHidden(true))}>
          Turn on notifications
        </button>
        <button
          type="button"
          className="link"
          onClick={() => {
            dismissBanner();
            setHidden(true);
          }}
        >
          Not now
        </button>
      </div>
    </section>
  );
}
