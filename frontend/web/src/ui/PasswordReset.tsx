// The screens emailed links open, and the one that asks for a reset link: /forgot-password,
// /reset-password#<uid>.<token> and /verify-email#<token> (the part after # never reaches a server).
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { ApiError } from "../api/client";
import { http } from "../api/endpoints";
import { navigate } from "../lib/router";

function AuthCard({ title, children, onSubmit }: { title: string; children: ReactNode; onSubmit: (e: FormEvent) => void }) {
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={onSubmit} aria-labelledby="auth-title">
        <h1 className="brand">Parley</h1>
        <h2 id="auth-title">{title}</h2>
        {children}
        <p className="auth-switch">
          <a
            href="/login"
            onClick={(e) => {
              e.preventDefault();
              navigate("/login");
            }}
          >
            Back to log in
          </a>
        </p>
      </form>
    </main>
  );
}

const message = (e: unknown) => (e instanceof Error ? e.message : "Something went wrong");

export function ForgotPassword() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setSent((await http.askPasswordReset(email.trim())).detail);
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard title="Reset your password" onSubmit={submit}>
      {sent ? (
        <p role="status">{sent}</p>
      ) : (
        <>
          <p className="muted">We will email you a link to choose a new password.</p>
          <label className="field">
            <span>Email</span>
            <input name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <button className="primary" type="submit" disabled={busy}>
            {busy ? "Please wait…" : "Email me a link"}
          </button>
        </>
      )}
    </AuthCard>
  );
}

/** uid and token from the link's fragment, "#<uid>.<token>". */
export function linkParts(hash: string): { uid: string; token: string } | null {
  const [uid, token] = hash.replace(/^#/, "").split(".", 2);
  return uid && token ? { uid, token } : null;
}

export function ResetPassword() {
  const [parts] = useState(() => linkParts(window.location.hash));
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(parts ? null : "This link is incomplete: open it from the email again.");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!parts) return;
    setBusy(true);
    setError(null);
    try {
      await http.resetPassword({ ...parts, new_password: password });
      setDone(true);
    } catch (e) {
      setError(e instanceof ApiError ? (e.fieldMessage("new_password") ?? e.message) : message(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard title="Choose a new password" onSubmit={submit}>
      {done ? (
        <p role="status">Your password is set and every session was signed out. Log in with the new password.</p>
      ) : (
        <>
          <label className="field">
            <span>New password</span>
            <input
              name="new_password"
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <button className="primary" type="submit" disabled={busy || !parts}>
            {busy ? "Please wait…" : "Set password"}
          </button>
        </>
      )}
    </AuthCard>
  );
}

/** The part of the address after `#`, followed as it changes (a second link opened in the same tab changes
 * only that part: no reload, no new page). */
function useHash(): string {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

const INCOMPLETE_LINK = "This link is incomplete: open it from the email again.";

/** /verify-email#<token>: the link sent to confirm an email address. */
export function VerifyEmail() {
  const token = useHash().replace(/^#/, "");
  // The result is the token's it was for: another link's shows "Checking the link…" until its own answer.
  const [result, setResult] = useState<{ token: string; ok: boolean; text: string } | null>(null);
  useEffect(() => {
    if (!token) return;
    let current = true;
    http.verifyEmail(token).then(
      () => current && setResult({ token, ok: true, text: "Your email address is confirmed." }),
      (e: unknown) => current && setResult({ token, ok: false, text: message(e) }),
    );
    return () => {
      current = false;
    };
  }, [token]);
  const shown = !token ? { ok: false, text: INCOMPLETE_LINK } : result?.token === token ? result : null;
  return (
    <AuthCard title="Confirm your email address" onSubmit={(e) => e.preventDefault()}>
      {shown === null ? (
        <p role="status">Checking the link…</p>
      ) : (
        <p role={shown.ok ? "status" : "alert"} className={shown.ok ? undefined : "form-error"}>
          {shown.text}
        </p>
      )}
      <a className="button" href="/">
        Open Parley
      </a>
    </AuthCard>
  );
}
