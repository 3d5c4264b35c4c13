import { useState, type FormEvent } from "react";
import type { NotificationSettings, NotifyLevel } from "../api/types";
import { notificationPermission, setSoundOn, soundOn, turnOnNotifications, type Permission } from "../lib/desktop";
import { applyTheme, readThemeChoice, saveThemeChoice, type ThemeChoice } from "../lib/theme";
import { DISPLAY_NAME_MAX_LENGTH } from "../lib/limits";
import { navigate } from "../lib/router";
import { BackLink } from "./BackLink";
import { useApp, useChat } from "./context";

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
  const { http, store, me, setMe, logOut } = useApp();
  const { prefs } = useChat();
  const [name, setName] = useState(me.display_name);
  const [saved, setSaved] = useState<string | null>(null);
  const [permission, setPermission] = useState<Permission>(notificationPermission);
  const [sound, setSound] = useState(soundOn);
  const [error, setError] = useState<string | null>(null);
  const [theme, setTheme] = useState(readThemeChoice);

  /** Save, then say how it went: only that (an earlier save's error or success no longer stands). */
  async function save(action: () => Promise<void>, done: string) {
    try {
      await action();
      setError(null);
      setSaved(done);
    } catch (e) {
      setSaved(null);
      setError(e instanceof Error ? e.message : "Could not save");
    }
  }

  async function saveProfile(event: FormEvent) {
    event.preventDefault();
    await save(async () => setMe(await http.updateMe({ display_name: name.trim() })), "Profile saved.");
  }

  async function setLevel(kind: keyof NotificationSettings, level: NotifyLevel) {
    await save(() => store.updatePrefs({ [kind]: level }), "Notification settings saved.");
  }

  function chooseTheme(choice: ThemeChoice) {
    setTheme(choice);
    saveThemeChoice(choice);
    applyTheme(choice);
  }

  async function turnOn() {
    setError(null);
    try {
      setPermission(await turnOnNotifications(http));
    } catch (e) {
      setError(e instanceof Error ? e.message : "Could not enable notifications");
    }
  }

  function chooseSound(on: boolean) {
    setSound(on);
    setSoundOn(on);
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
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={DISPLAY_NAME_MAX_LENGTH} />
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
          {permission === "granted" ? (
            <p data-testid="notifications-state">Desktop notifications are on for this browser.</p>
          ) : permission === "unsupported" ? (
            <p className="muted">This browser cannot show notifications.</p>
          ) : permission === "denied" ? (
            <p data-testid="notifications-state">
              Notifications are blocked for Parley in this browser: allow them in the site&apos;s settings (the icon
              beside the address).
            </p>
          ) : (
            <button type="button" onClick={() => void turnOn()}>
              Enable notifications
            </button>
          )}
          <label className="choice">
            <input type="checkbox" checked={sound} onChange={(e) => chooseSound(e.target.checked)} />
            Play a sound with each notification
          </label>
          <p className="muted">
            Which messages notify you, per kind of conversation; a conversation&apos;s own level (its bell menu)
            comes first, and muting it silences it.
          </p>
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
