import { lazy, Suspense, useEffect, useMemo, useState, type MouseEvent } from "react";
import { api } from "../api/client";
import { http } from "../api/endpoints";
import type { Me } from "../api/types";
import { socketUrl } from "../realtime/protocol";
import { ActivityReporter } from "../realtime/activity";
import { ChatSocket } from "../realtime/socket";
import { focusComposer } from "../lib/focus";
import { arrivedBecause, matchRoute, navigate, usePath } from "../lib/router";
import { neighbour, shortcutFor } from "../lib/shortcuts";
import { openLocalStore } from "../state/persist";
import { ChatStore, sortConversations } from "../state/store";
import { AttentionEffects, NotificationsBanner } from "./Attention";
import type { EndedSession } from "./AuthScreen";
import { ChannelBrowser } from "./ChannelBrowser";
import { ConnectionBanner } from "./ConnectionBanner";
import { AppContext, type AppServices } from "./context";
import { BackLink } from "./BackLink";
import { MentionsView } from "./MentionsView";
import { Name } from "./Name";
import { NewConversation } from "./NewConversation";
import { Security } from "./Security";
import { Settings } from "./Settings";
import { SearchDialog } from "./SearchDialog";
import { ShortcutsDialog } from "./ShortcutsDialog";
import { Sidebar } from "./Sidebar";

// The conversation screen (with the Markdown renderer) loads on demand: the first screen stays small.
const loadConversationView = () => import("./ConversationView");
const ConversationView = lazy(() => loadConversationView().then((m) => ({ default: m.ConversationView })));

/** Opening the app on a conversation: fetch its screen while signing in, not after. */
export function preloadConversationView(): void {
  void loadConversationView();
}

interface Props {
  me: Me;
  setMe: (me: Me) => void;
  onSignedOut: (ended?: EndedSession) => void;
}

function createServices(): { store: ChatStore; socket: ChatSocket; activity: ActivityReporter } {
  const holder: { store?: ChatStore } = {};
  const socket = new ChatSocket({
    url: (token) => socketUrl(token),
    getToken: () => api.freshToken(),
    refreshToken: () => api.refresh(),
    since: () => holder.store?.since() ?? [],
  });
  holder.store = new ChatStore({ http, socket, local: openLocalStore() });
  // Whether this page is looked at, told to the server on every connection and every change.
  const activity = new ActivityReporter({ send: (frame) => socket.send(frame) });
  socket.onOpen(() => activity.connected());
  return { store: holder.store, socket, activity };
}

export function Shell({ me, setMe, onSignedOut }: Props) {
  const route = matchRoute(usePath());
  const [{ store, socket, activity }] = useState(createServices);

  useEffect(() => {
    if (!navigator.onLine) socket.browserWentOffline(); // opened offline: say so, and wait for the network
    void store.start(me);
    activity.start();
    const offline = () => socket.browserWentOffline();
    const online = () => socket.browserWentOnline();
    // Hidden (a phone may then kill the page) or unloaded: the draft being typed is written now.
    const leaving = () => void store.drafts.flush();
    const visible = () => {
      const active = store.getState().active;
      if (document.visibilityState === "visible" && active !== null) store.markRead(active);
      else leaving();
    };
    // The account changed (an email confirmed, a block): what it may do is on the profile.
    const offFrame = socket.onFrame((frame) => {
      if (frame.type === "account") void http.me().then(setMe, () => undefined);
    });
    // Closed with 4403: the account is suspended, and the session over (the app goes to the login screen).
    const offStatus = socket.onStatus((info) => {
      if (info.status === "suspended") api.suspended();
    });
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    window.addEventListener("pagehide", leaving);
    document.addEventListener("visibilitychange", visible);
    return () => {
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", online);
      window.removeEventListener("pagehide", leaving);
      document.removeEventListener("visibilitychange", visible);
      offFrame();
      offStatus();
      activity.stop();
      store.stop();
    };
    // `me` changes when the profile is edited; the store keeps the id it started with.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [store, socket, activity]);

  const [showShortcuts, setShowShortcuts] = useState(false);
  const [showSearch, setShowSearch] = useState(false);
  const activeId = route.name === "conversation" ? route.id : null;

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const action = shortcutFor(event);
      if (!action) return;
      event.preventDefault();
      if (action === "show-shortcuts") setShowShortcuts(true);
      else if (action === "search") setShowSearch(true);
      else if (action === "focus-composer") focusComposer();
      else {
        const order = sortConversations(store.getState().conversations).map((c) => c.id);
        const next = neighbour(order, activeId, action === "next-conversation" ? 1 : -1);
        if (next !== null) navigate(`/c/${next}`);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [store, activeId]);

  const services = useMemo<AppServices>(
    () => ({
      client: api,
      http,
      store,
      socket,
      me,
      setMe,
      logOut: async () => {
        store.stop();
        await store.forgetLocal();
        await http.logOut().catch(() => undefined);
        onSignedOut();
      },
    }),
    [store, socket, me, setMe, onSignedOut],
  );

  const inConversation = route.name !== "home";
  // Brought home because a conversation I had open went (removed from it, or left in another tab).
  const left = route.name === "home" ? arrivedBecause().leftConversation : undefined;
  let main;
  switch (route.name) {
    case "conversation":
      main = <ConversationView key={route.id} id={route.id} />;
      break;
    case "new-direct":
      main = <NewConversation kind="direct" />;
      break;
    case "new-group":
      main = <NewConversation kind="group" />;
      break;
    case "channels":
      main = <ChannelBrowser />;
      break;
    case "mentions":
      main = <MentionsView />;
      break;
    case "settings":
      main = <Settings />;
      break;
    case "security":
      main = <Security onSignedOut={onSignedOut} header={<BackLink />} full />;
      break;
    default:
      main = (
        <div className="empty-main">
          <h1>Welcome, {me.display_name || me.username}</h1>
          <p>Pick a conversation, or start a new one.</p>
        </div>
      );
  }

  // The first Tab stop: straight to the message box in a conversation, else to the main panel.
  const skip = (event: MouseEvent) => {
    event.preventDefault();
    if (activeId === null || !focusComposer()) document.getElementById("main")?.focus();
  };

  return (
    <AppContext.Provider value={services}>
      <a href="#main" className="skip-link" onClick={skip}>
        {activeId === null ? "Skip to main content" : "Skip to the message box"}
      </a>
      <div className="app" data-view={inConversation ? "main" : "list"}>
        <ConnectionBanner />
        {!me.may_post && (
          <div className="banner-slot" role="note">
            <div className="banner" data-testid="verify-banner">
              Confirm your email address to post: we sent a link to {me.email}.{" "}
              <a href="/settings/security">Settings</a>
            </div>
          </div>
        )}
        <Sidebar
          activeId={activeId}
          onShowShortcuts={() => setShowShortcuts(true)}
          onShowSearch={() => setShowSearch(true)}
          offer={
            <>
              {left && (
                <p role="status" className="left-notice" data-testid="left-notice">
                  You are no longer a member of <Name>{left}</Name>.
                </p>
              )}
              <NotificationsBanner />
            </>
          }
          currentPath={route.name === "mentions" ? "/mentions" : undefined}
        />
        <main className="main" id="main" tabIndex={-1}>
          <Suspense fallback={<p className="panel-body muted">Loading…</p>}>{main}</Suspense>
        </main>
      </div>
      <AttentionEffects />
      <ShortcutsDialog open={showShortcuts} onClose={() => setShowShortcuts(false)} />
      <SearchDialog open={showSearch} onClose={() => setShowSearch(false)} />
    </AppContext.Provider>
  );
}
