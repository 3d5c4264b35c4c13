import { useEffect, useRef, useState } from "react";
import { api, tokenUserId } from "../api/client";
import { http, mayHaveSession, rememberedProfile, rememberProfile, rememberSession } from "../api/endpoints";
import type { Me } from "../api/types";
import { matchRoute, navigate, usePath } from "../lib/router";
import { openLocalStore } from "../state/persist";
import { AuthScreen } from "./AuthScreen";
import { ForgotPassword, ResetPassword, VerifyEmail } from "./PasswordReset";
import { Security } from "./Security";
import { preloadConversationView, Shell } from "./Shell";

/** `ended`: the session was ended from elsewhere (not by signing out here): the login screen says so. */
type Session = { state: "loading" } | { state: "anonymous"; ended?: boolean } | { state: "signed-in"; me: Me };

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
      const { token, reached } = mayHaveSession() ? await api.refreshSession() : { token: null, reached: true };
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
        setSession((current) => ({ state: "anonymous", ended: current.state === "signed-in" }));
      }
      else if (unconfirmed) {
        unconfirmed = false;
        http.me().then((me) => settle({ state: "signed-in", me }), () => undefined);
      }
    });
    return () => {
      cancelled = true;
      off();
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
  const signOut = () => {
    setSession({ state: "anonymous" });
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
