import { useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { http } from "../api/endpoints";
import type { Me } from "../api/types";
import { navigate } from "../lib/router";

interface Props {
  mode: "login" | "signup";
  onSignedIn: (me: Me) => void;
}

export function AuthScreen({ mode, onSignedIn }: Props) {
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const signup = mode === "signup";

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (signup) await http.register({ username, email, password });
      await http.logIn({ username, password });
      onSignedIn(await http.me());
    } catch (e) {
      setError(e instanceof Error ? e : new Error("Something went wrong"));
    } finally {
      setBusy(false);
    }
  }

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
        <p className="auth-switch">
          {signup ? "Already have an account?" : "New to Parley?"}{" "}
          <a
            href={signup ? "/login" : "/signup"}
            onClick={(e) => {
              e.preventDefault();
              setError(null);
              navigate(signup ? "/login" : "/signup");
            }}
          >
            {signup ? "Log in" : "Create an account"}
          </a>
        </p>
      </form>
    </main>
  );
}
