import { useEffect, useState, type FormEvent } from "react";
import type { NotificationSettings, NotifyLevel } from "../api/types";
import { enablePush, pushSupported } from "../lib/push";
import { applyTheme, readThemeChoice, saveThemeChoice, type ThemeChoice } from "../lib/theme";
import { navigate } from "../lib/router";
import { BackLink } from "./BackLink";
import { useApp } from "./context";

const THEMES: { value: ThemeChoice; label: string }[] = [
  { value: "system", label: "Match the system" },
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
];

const LEVELS: { value: NotifyLevel; label: string }[] = [
  { value: "all", label: "All messages" },
  { value: "mentions", label: "Mentions only" },
  { value: "none", label: "Nothing" },
];

export function Settings() {
  const { http, me, setMe, logOut } = useApp();
  const [name, setName] = useState(me.display_name);
  const [saved, setSaved] = useState<string | null>(null);
  const [prefs, setPrefs] = useState<NotificationSettings | null>(null);
  const [push, setPush] = useState<string>(() =>
    !pushSupported() ? "unsupported" : Notification.permission === "granted" ? "granted" : "off",
  );
  const [error, setError] = useState<string | null>(null);
  const [theme, setTheme] = useState(readThemeChoice);

  useEffect(() => {
    http.notificationSettings().then(setPrefs, () => setPrefs(null));
  }, [http]);

  async function saveProfile(event: FormEvent) {
    event.preventDefault();
    try {
      setMe(await http.updateMe({ display_name: name.trim() }));
      setSaved("Profile saved.");
    } catch (e) {
      setError(e instanceof Error ? e.message : "Could not save");
    }
  }

  async function setLevel(kind: keyof NotificationSettings, level: NotifyLevel) {
    try {
      setPrefs(await http.updateNotificationSettings({ [kind]: level }));
      setSaved("Notification settings saved.");
    } catch (e) {
      setError(e instanceof Error ? e.message : "Could not save");
    }
  }

  function chooseTheme(choice: ThemeChoice) {
    setTheme(choice);
    saveThemeChoice(choice);
    applyTheme(choice);
  }

  async function turnOnPush() {
    setError(null);
    try {
      setPush(await enablePush(http));
    } catch (e) {
      setError(e instanceof Error ? e.message : "Could not enable notifications");
    }
  }

  return (
    <section className="panel" aria-labelledby="settings-heading">
      <header className="panel-header">
        <BackLink />
        <h1 id="settings-heading">Settings</h1>
      </header>
      <div className="panel-body stack">
        <form className="stack" onSubmit={saveProfile}>
          <h2>Profile</h2>
          <p className="muted">Signed in as @{me.username}</p>
          <label className="field">
            <span>Display name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={150} />
          </label>
          <button type="submit">Save profile</button>
        </form>
        <fieldset className="stack choices">
          <legend>
            <h2>Theme</h2>
          </legend>
          {THEMES.map((t) => (
            <label key={t.value} className="choice">
              <input type="radio" name="theme" value={t.value} checked={theme === t.value} onChange={() => chooseTheme(t.value)} />
              {t.label}
            </label>
          ))}
        </fieldset>
        <div className="stack">
          <h2>Notifications</h2>
          {push === "granted" ? (
            <p>Notifications are on for this browser.</p>
          ) : push === "unsupported" ? (
            <p className="muted">This browser cannot show push notifications.</p>
          ) : (
            <button type="button" onClick={() => void turnOnPush()}>
              {push === "denied" ? "Notifications blocked — try again" : "Enable notifications"}
            </button>
          )}
          {prefs &&
            (["direct", "group", "channel"] as const).map((kind) => (
              <label className="field" key={kind}>
                <span>{kind === "direct" ? "Direct messages" : kind === "group" ? "Groups" : "Channels"}</span>
                <select value={prefs[kind]} onChange={(e) => void setLevel(kind, e.target.value as NotifyLevel)}>
                  {LEVELS.map((l) => (
                    <option key={l.value} value={l.value}>
                      {l.label}
                    </option>
                  ))}
                </select>
              </label>
            ))}
        </div>
        <div className="stack">
          <h2>Security</h2>
          <a
            className="button"
            href="/settings/security"
            onClick={(e) => {
              e.preventDefault();
              navigate("/settings/security");
            }}
          >
            Password, sessions and two-factor authentication
          </a>
        </div>
        <p role="status" className="muted">{saved}</p>
        {error && <p className="form-error" role="alert">{error}</p>}
        <button type="button" className="danger" onClick={() => void logOut()}>
          Log out
        </button>
      </div>
    </section>
  );
}
