import { useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { http } from "../api/endpoints";
import type { Me } from "../api/types";
import { navigate } from "../lib/router";

/** Why the login screen shows though this person did not log out here: their session ended elsewhere (signed
 * out from another device, a password changed, it expired), the account was suspended (`unsent`: how many
 * messages this device had still to send, kept as not sent), or they deleted it. */
export type EndedSession = { why: "elsewhere" } | { why: "suspended"; unsent: number } | { why: "deleted" };

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function endedNotice(ended: EndedSession): string {
  switch (ended.why) {
    case "elsewhere":
      return (
        "You were signed out: your session ended (signed out from another device, a password change, or it " +
        "expired). Log in again to go on."
      );
    case "suspended":
      return (
        "You were signed out: your account is suspended. Contact the workspace's moderators." +
        (ended.unsent > 0
          ? ` ${plural(ended.unsent, "message", "messages")} you wrote ${ended.unsent === 1 ? "was" : "were"} not sent: ` +
            "kept on this device, marked “Not sent”, for when you can log in again."
          : "")
      );
    case "deleted":
      return "Your account was deleted.";
  }
}

interface Props {
  mode: "login" | "signup";
  onSignedIn: (me: Me) => void;
  /** The session ended without this person logging out here: say so above the form. */
  ended?: EndedSession;
}

export function AuthScreen({ mode, onSignedIn, ended }: Props) {
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [otp, setOtp] = useState<string | null>(null); // a code field once the server asks for one
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const signup = mode === "signup";
  const [invitation] = useState(() => new URLSearchParams(window.location.search).get("invite") ?? "");

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (signup && otp === null) await http.register({ username, email, password, invitation });
      await http.logIn({ username, password, ...(otp !== null && { otp }) });
      onSignedIn(await http.me());
    } catch (e) {
      if (e instanceof ApiError && e.code === "otp_required") {
        setOtp(""); // the password was right: now the second factor
        return;
      }
      setError(e instanceof Error ? e : new Error("Something went wrong"));
    } finally {
      setBusy(false);
    }
  }

  const link = (event: React.MouseEvent, path: string) => {
    event.preventDefault();
    setError(null);
    setOtp(null);
    navigate(path);
  };
  const fieldError = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : null);
  const field = (name: string, label: string, input: React.ReactNode) => (
    <label className="field">
      <span>{label}</span>
      {input}
      {fieldError(name) && (
        <span className="field-error" id={`${name}-error`}>
          {fieldError(name)}
        </span>
      )}
    </label>
  );

  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-labelledby="auth-title">
        <h1 className="brand">Parley</h1>
        <h2 id="auth-title">{signup ? "Create your account" : "Log in"}</h2>
        {ended && !signup && (
          <p className="muted" role="status">
            {endedNotice(ended)}
          </p>
        )}
        {field(
          "username",
          "Username",
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            aria-invalid={Boolean(fieldError("username"))}
          />,
        )}
        {signup &&
          field(
            "email",
            "Email",
            <input
              name="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-invalid={Boolean(fieldError("email"))}
            />,
          )}
        {field(
          "password",
          "Password",
          <input
            name="password"
            type="password"
            autoComplete={signup ? "new-password" : "current-password"}
            required
            minLength={signup ? 8 : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={Boolean(fieldError("password"))}
          />,
        )}
        {otp !== null && (
          <label className="field">
            <span>Two-factor code</span>
            <input
              name="otp"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              autoFocus
              value={otp}
              onChange={(e) => setOtp(e.target.value)}
            />
            <span className="muted">The 6-digit code from your authenticator app, or a recovery code.</span>
          </label>
        )}
        {error && !Object.keys(error instanceof ApiError ? error.fields : {}).length && (
          <p className="form-error" role="alert">
            {error.message}
          </p>
        )}
        {error instanceof ApiError && Object.keys(error.fields).length > 0 && (
          <p className="form-error" role="alert">
            Please check the fields above.
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? "Please wait…" : signup ? "Sign up" : "Log in"}
        </button>
        {!signup && (
          <p className="auth-switch">
            <a href="/forgot-password" onClick={(e) => link(e, "/forgot-password")}>
              Forgot your password?
            </a>
          </p>
        )}
        <p className="auth-switch">
          {signup ? "Already have an account?" : "New to Parley?"}{" "}
          <a
            href={signup ? "/login" : "/signup"}
            onClick={(e) => link(e, signup ? "/login" : "/signup")}
          >
            {signup ? "Log in" : "Create an account"}
          </a>
        </p>
      </form>
    </main>
  );
}
