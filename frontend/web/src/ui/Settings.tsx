import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import type { NotificationSettings, NotifyLevel } from "../api/types";
import { notificationPermission, setSoundOn, soundOn, turnOnNotifications, type Permission } from "../lib/desktop";
import { applyTheme, readThemeChoice, saveThemeChoice, type ThemeChoice } from "../lib/theme";
import { DISPLAY_NAME_MAX_LENGTH } from "../lib/limits";
import { navigate } from "../lib/router";
import { Avatar } from "./Avatar";
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

/** The parts of the page that say how a change went, each under its own controls. */
type Part = "profile" | "picture" | "notifications";

/** What the server takes (docs/api.md, "Profile pictures"): checked here first, to say so without uploading. */
const PICTURE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];
const PICTURE_MAX_BYTES = 5 * 1024 * 1024;
const NOT_A_PICTURE = "That file is not a picture. Choose a PNG, JPEG, WebP or GIF image.";
const TOO_LARGE = "That picture is too large: choose one of at most 5 MiB.";

/** Why a picture was refused, in the page's words. */
function pictureError(error: unknown): string {
  if (error instanceof ApiError && error.code === "not_an_image") return NOT_A_PICTURE;
  if (error instanceof ApiError && (error.code === "too_large" || error.status === 413)) return TOO_LARGE;
  return error instanceof Error ? error.message : "Could not save the picture.";
}

/** How the last change went, said in its part of the page. */
interface Outcome {
  part: Part;
  text: string;
  failed: boolean;
}

/** A part's status line (always there, so that a screen reader announces what is put in it) and its error. */
function Said({ part, outcome }: { part: Part; outcome: Outcome | null }) {
  const mine = outcome?.part === part ? outcome : null;
  return (
    <>
      <p role="status" className="muted">
        {mine && !mine.failed ? mine.text : null}
      </p>
      {mine?.failed && (
        <p className="form-error" role="alert">
          {mine.text}
        </p>
      )}
    </>
  );
}

export function Settings() {
  const { http, store, me, setMe, logOut } = useApp();
  const { prefs } = useChat();
  const [name, setName] = useState(me.display_name);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [permission, setPermission] = useState<Permission>(notificationPermission);
  const [sound, setSound] = useState(soundOn);
  const [theme, setTheme] = useState(readThemeChoice);
  const [chosen, setChosen] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const preview = useMemo(() => (chosen ? URL.createObjectURL(chosen) : null), [chosen]);
  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);

  function choosePicture(file: File | undefined) {
    setOutcome(null);
    setChosen(null);
    if (!file) return;
    // A type the browser does not know is left to the server, which opens the file to see.
    const refused = file.type && !PICTURE_TYPES.includes(file.type) ? NOT_A_PICTURE : file.size > PICTURE_MAX_BYTES ? TOO_LARGE : null;
    if (!refused) return setChosen(file);
    setOutcome({ part: "picture", text: refused, failed: true });
    if (fileInput.current) fileInput.current.value = "";
  }

  async function changePicture(action: () => Promise<void>, done: string) {
    setBusy(true);
    try {
      await action();
      setChosen(null);
      if (fileInput.current) fileInput.current.value = "";
      setOutcome({ part: "picture", text: done, failed: false });
    } catch (e) {
      setOutcome({ part: "picture", text: pictureError(e), failed: true });
    } finally {
      setBusy(false);
    }
  }

  /** Save, then say how it went, under what was changed: only that (an earlier save's error or success no
   * longer stands). It used to be said at the foot of the page, below the fold of a laptop's screen. */
  async function save(part: Part, action: () => Promise<void>, done: string) {
    try {
      await action();
      setOutcome({ part, text: done, failed: false });
    } catch (e) {
      setOutcome({ part, text: e instanceof Error ? e.message : "Could not save", failed: true });
    }
  }

  async function saveProfile(event: FormEvent) {
    event.preventDefault();
    await save("profile", async () => setMe(await http.updateMe({ display_name: name.trim() })), "Profile saved.");
  }

  async function setLevel(kind: keyof NotificationSettings, level: NotifyLevel) {
    await save("notifications", () => store.updatePrefs({ [kind]: level }), "Notification settings saved.");
  }

  function chooseTheme(choice: ThemeChoice) {
    setTheme(choice);
    saveThemeChoice(choice);
    applyTheme(choice);
  }

  async function turnOn() {
    setOutcome(null);
    try {
      setPermission(await turnOnNotifications(http));
    } catch (e) {
      const text = e instanceof Error ? e.message : "Could not enable notifications";
      setOutcome({ part: "notifications", text, failed: true });
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
          <Said part="profile" outcome={outcome} />
        </form>
        <div className="stack" data-testid="profile-picture">
          <h2>Profile picture</h2>
          <div className="avatar-settings">
            {preview ? (
              <img className="avatar-preview" src={preview} alt="Preview of your new picture" />
            ) : (
              <span className="avatar-large">
                <Avatar name={me.display_name || me.username} url={me.avatar_url} key={me.avatar_url ?? "none"} />
              </span>
            )}
            <label className="field">
              <span>Choose a picture (PNG, JPEG, WebP or GIF, at most 5 MiB)</span>
              <input
                ref={fileInput}
                type="file"
                accept={PICTURE_TYPES.join(",")}
                onChange={(e) => choosePicture(e.target.files?.[0])}
                disabled={busy}
              />
            </label>
          </div>
          {chosen && (
            <div className="picture-actions">
              <button type="button" disabled={busy} onClick={() => void changePicture(async () => setMe(await http.setAvatar(chosen, chosen.name)), "Picture saved.")}>
                Upload picture
              </button>{" "}
              <button type="button" disabled={busy} onClick={() => choosePicture(undefined)}>
                Cancel
              </button>
            </div>
          )}
          {me.avatar_url && !chosen && (
            <button type="button" disabled={busy} onClick={() => void changePicture(async () => setMe(await http.removeAvatar()), "Picture removed.")}>
              Remove picture
            </button>
          )}
          <Said part="picture" outcome={outcome} />
        </div>
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
          <Said part="notifications" outcome={outcome} />
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
        <button type="button" className="danger" onClick={() => void logOut()}>
          Log out
        </button>
      </div>
    </section>
  );
}
