import { useEffect, useRef, useState } from "react";
import { api, tokenUserId } from "../api/client";
import { http, mayHaveSession, rememberedProfile, rememberProfile, rememberSession } from "../api/endpoints";
import type { Me } from "../api/types";
import { matchRoute, navigate, usePath } from "../lib/router";
import { failUnsent } from "../lib/suspension";
import { openLocalStore } from "../state/persist";
import { AuthScreen, type EndedSession } from "./AuthScreen";
import { ForgotPassword, ResetPassword, VerifyEmail } from "./PasswordReset";
import { Security } from "./Security";
import { preloadConversationView, Shell } from "./Shell";

/** `ended`: the session ended otherwise than by logging out here: the login screen says why. */
type Session = { state: "loading" } | { state: "anonymous"; ended?: EndedSession } | { state: "signed-in"; me: Me };

/** The session ended from elsewhere (another device signed it out, a password changed): what this device keeps
 * of the person goes, as on logging out here — their profile (which opened the app offline, as them) and their
 * unsent drafts and messages. */
function forgetOnThisDevice(userId: number): void {
  rememberSession(false);
  void openLocalStore()
    .then((local) => local.forget(userId))
    .catch(() => undefined);
}

export function App() {
  const route = matchRoute(usePath());
  const [session, setSession] = useState<Session>({ state: "loading" });
  const signedInAs = useRef<number | null>(null);

  useEffect(() => {
    // The refresh cookie survives reloads; the access token does not (it lives in memory only). When the
    // server cannot be reached, the remembered profile opens the app (the shell is the service worker's);
    // the session is confirmed by the first token the socket's reconnects obtain, or ended by a refusal.
    if (matchRoute(window.location.pathname).name === "conversation") preloadConversationView();
    let cancelled = false;
    let unconfirmed = false;
    const settle = (next: Session) => {
      if (!cancelled) setSession(next);
    };
    async function resume(): Promise<void> {
      const { token, reached, suspended } = mayHaveSession() ? await api.refreshSession() : { token: null, reached: true };
      if (suspended) return; // said by onSuspended, below
      const known = rememberedProfile();
      if (token && known?.id === tokenUserId(token)) {
        // Signed in as the remembered person: show the app now, with their fresh profile when it comes.
        http.me().then((me) => settle({ state: "signed-in", me }), () => undefined);
        return settle({ state: "signed-in", me: known });
      }
      if (token) return settle({ state: "signed-in", me: await http.me() });
      if (!reached && known) {
        unconfirmed = true;
        return settle({ state: "signed-in", me: known });
      }
      rememberSession(false);
      settle({ state: "anonymous" });
    }
    resume().catch(() => settle({ state: "anonymous" }));
    const off = api.onTokenChange((token) => {
      // Signing out here clears the token too; its onSignedOut then replaces this state, without the notice.
      if (!token) {
        if (signedInAs.current !== null) forgetOnThisDevice(signedInAs.current);
        // Already signed out (a request that was on its way when the account was deleted or suspended is
        // refused afterwards): what the login screen says stays.
        setSession((current) => {
          if (current.state === "anonymous") return current;
          return { state: "anonymous", ended: current.state === "signed-in" ? { why: "elsewhere" } : undefined };
        });
      }
      else if (unconfirmed) {
        unconfirmed = false;
        http.me().then((me) => settle({ state: "signed-in", me }), () => undefined);
      }
    });
    // Suspended (the socket's 4403, a REST 403, a refused refresh, here or after a reload): the login screen
    // says so; the messages this device had still to send are failed and kept, for after a reinstatement. The
    // session is not over (the server says "suspended", not "no session"): the device keeps its hint and the
    // profile, so that a reload asks again and says so again, until a refusal or another login replaces them.
    const offSuspended = api.onSuspended(() => {
      const user = signedInAs.current ?? rememberedProfile()?.id;
      settle({ state: "anonymous", ended: { why: "suspended", unsent: 0 } });
      if (user === undefined) return;
      void failUnsent(openLocalStore(), user)
        .then((unsent) =>
          setSession((current) =>
            unsent > 0 && current.state === "anonymous" && current.ended?.why === "suspended"
              ? { state: "anonymous", ended: { why: "suspended", unsent } }
              : current,
          ),
        )
        .catch(() => undefined);
    });
    return () => {
      cancelled = true;
      off();
      offSuspended();
    };
  }, []);

  useEffect(() => {
    signedInAs.current = session.state === "signed-in" ? session.me.id : null;
    if (session.state === "signed-in") rememberProfile(session.me);
  }, [session]);

  const signedIn = session.state === "signed-in";
  const onAuthRoute = route.name === "login" || route.name === "signup" || route.name === "forgot-password";
  useEffect(() => {
    if (signedIn && onAuthRoute) navigate("/", { replace: true });
  }, [signedIn, onAuthRoute]);

  // A reset link works whoever is signed in on this browser.
  if (route.name === "reset-password") return <ResetPassword />;
  if (route.name === "verify-email") return <VerifyEmail />;
  if (session.state === "loading") {
    return (
      <div className="splash" role="status">
        Loading Parley…
      </div>
    );
  }
  const signOut = (ended?: EndedSession) => {
    setSession({ state: "anonymous", ended });
    navigate("/login", { replace: true });
  };
  if (session.state === "anonymous") {
    if (route.name === "forgot-password") return <ForgotPassword />;
    return (
      <AuthScreen
        mode={route.name === "signup" ? "signup" : "login"}
        onSignedIn={(me) => setSession({ state: "signed-in", me })}
        ended={session.ended}
      />
    );
  }
  if (session.me.two_factor_required) {
    // Staff whom the workspace requires two-factor authentication of: only this screen until it is on.
    const reload = async () => setSession({ state: "signed-in", me: await http.me() });
    return (
      <main className="auth">
        <Security onSignedOut={signOut} onTwoFactorEnabled={() => void reload()} />
      </main>
    );
  }
  return <Shell me={session.me} setMe={(me) => setSession({ state: "signed-in", me })} onSignedOut={signOut} />;
}
