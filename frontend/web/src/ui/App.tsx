import { useEffect, useState } from "react";
import { api } from "../api/client";
import { http, mayHaveSession, rememberSession } from "../api/endpoints";
import type { Me } from "../api/types";
import { matchRoute, navigate, usePath } from "../lib/router";
import { AuthScreen } from "./AuthScreen";
import { Shell } from "./Shell";

type Session = { state: "loading" } | { state: "anonymous" } | { state: "signed-in"; me: Me };

export function App() {
  const route = matchRoute(usePath());
  const [session, setSession] = useState<Session>({ state: "loading" });

  useEffect(() => {
    // The refresh cookie survives reloads; the access token does not (it lives in memory only).
    let cancelled = false;
    (mayHaveSession() ? api.refresh() : Promise.resolve(null))
      .then((token) => {
        if (!token) rememberSession(false);
        return token ? http.me() : null;
      })
      .then(
        (me) => !cancelled && setSession(me ? { state: "signed-in", me } : { state: "anonymous" }),
        () => !cancelled && setSession({ state: "anonymous" }),
      );
    const off = api.onTokenChange((token) => {
      if (!token) setSession({ state: "anonymous" });
    });
    return () => {
      cancelled = true;
      off();
    };
  }, []);

  const signedIn = session.state === "signed-in";
  const onAuthRoute = route.name === "login" || route.name === "signup";
  useEffect(() => {
    if (signedIn && onAuthRoute) navigate("/", { replace: true });
  }, [signedIn, onAuthRoute]);

  if (session.state === "loading") {
    return (
      <div className="splash" role="status">
        Loading Parley…
      </div>
    );
  }
  if (session.state === "anonymous") {
    return (
      <AuthScreen
        mode={route.name === "signup" ? "signup" : "login"}
        onSignedIn={(me) => setSession({ state: "signed-in", me })}
      />
    );
  }
  return (
    <Shell
      me={session.me}
      setMe={(me) => setSession({ state: "signed-in", me })}
      onSignedOut={() => {
        setSession({ state: "anonymous" });
        navigate("/login", { replace: true });
      }}
    />
  );
}
