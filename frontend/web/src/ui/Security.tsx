// Settings → Security: change the password, see and sign out sessions, two-factor authentication.
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { ApiError } from "../api/client";
import { http } from "../api/endpoints";
import type { Block, DataExport, Invitation, LoginSession, TotpEnrolment, TwoFactorStatus } from "../api/types";
import type { EndedSession } from "./AuthScreen";
import { useApp } from "./context";
import { failureReason, useActionFeedback } from "./useActionFeedback";

/** Why an action here failed when the server gave no reason. */
const OFFLINE = "Parley could not be reached; try again.";
const message = (e: unknown) => failureReason(e, OFFLINE);

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = `security-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section className="stack security-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function EmailAddress() {
  const { me } = useApp();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const feedback = useActionFeedback();

  async function run(action: () => Promise<{ detail: string }>) {
    if (await feedback.run(action, (answer) => answer.detail, OFFLINE)) setPassword("");
  }

  return (
    <Section title="Email address">
      <p>
        {me.email} — {me.email_verified ? "confirmed" : "not confirmed yet"}
      </p>
      {!me.email_verified && (
        <button type="button" onClick={() => void run(() => http.resendVerification())}>
          Send the confirmation link again
        </button>
      )}
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => http.changeEmail({ email, password }));
        }}
      >
        <label className="field">
          <span>New email address</span>
          <input name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          <span>Your password</span>
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit">Change email address</button>
      </form>
      {feedback.lines()}
    </Section>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const feedback = useActionFeedback();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const changed = () => http.changePassword({ current_password: current, new_password: next });
    if (!(await feedback.run(changed, "Password changed. Every other session was signed out.", OFFLINE))) return;
    setCurrent("");
    setNext("");
  }

  return (
    <Section title="Change password">
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>Current password</span>
          <input name="current_password" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label className="field">
          <span>New password</span>
          <input name="new_password" type="password" autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} />
        </label>
        <button type="submit">Change password</button>
        {feedback.lines()}
      </form>
    </Section>
  );
}

const dateTime = (iso: string) => new Date(iso).toLocaleString();

/** Each session's Sign out button's name: the device, when it signed in and from where — and, should two
 * still read alike (signed in within the same second), which of them it is in the list. */
export function sessionLabels(sessions: LoginSession[], when: (iso: string) => string = dateTime): string[] {
  const labels = sessions.map(
    (s) => `Sign out ${s.device || "Unknown device"}, signed in ${when(s.created_at)}${s.ip_address ? ` from ${s.ip_address}` : ""}`,
  );
  const seen = new Map<string, number>();
  return labels.map((label) => {
    const alike = labels.filter((l) => l === label).length;
    if (alike === 1) return label;
    const nth = (seen.get(label) ?? 0) + 1;
    seen.set(label, nth);
    return `${label} (${nth} of ${alike})`;
  });
}

function Sessions({ onSignedOut }: { onSignedOut: () => void }) {
  const [sessions, setSessions] = useState<LoginSession[] | null>(null);
  const { run, setError, lines } = useActionFeedback();
  const load = useCallback(() => http.sessions().then(setSessions, (e: unknown) => setError(message(e))), [setError]);
  useEffect(() => void load(), [load]);

  const end = (id: string) => run(() => http.endSession(id).then(load), null, OFFLINE);

  async function everywhere() {
    if (!window.confirm("Sign out on every device, this one too?")) return;
    setError(null);
    try {
      await http.signOutEverywhere();
      onSignedOut();
    } catch (e) {
      // Nothing was signed out: saying so matters, as a lost device would still be signed in.
      setError(`Not signed out anywhere: ${message(e)}`);
    }
  }

  const labels = sessionLabels(sessions ?? []);
  return (
    <Section title="Where you're signed in">
      <ul className="session-list" aria-label="Sessions">
        {sessions?.map((s, i) => (
          <li key={s.id} className="session">
            <div>
              <strong>{s.device || "Unknown device"}</strong>
              {s.current && <span className="badge">This device</span>}
              <div className="muted">
                Signed in {dateTime(s.created_at)} · last active {dateTime(s.last_seen_at)} ·{" "}
                {s.ip_address ?? "unknown address"}
              </div>
            </div>
            {!s.current && (
              <button type="button" onClick={() => void end(s.id)} aria-label={labels[i]}>
                Sign out
              </button>
            )}
          </li>
        ))}
      </ul>
      <button type="button" className="danger" onClick={() => void everywhere()}>
        Sign out everywhere
      </button>
      {lines()}
    </Section>
  );
}

/** `onSaved`: the app waits for them to be saved before it goes on (staff whom the workspace requires two-factor
 * authentication of: the whole app opens then, and these codes are never shown again). */
function RecoveryCodes({ codes, onSaved }: { codes: string[]; onSaved?: () => void }) {
  const region = useRef<HTMLDivElement>(null);
  // What had focus (the form that made them) is gone: the codes are where to read on.
  useEffect(() => region.current?.focus(), [codes]);
  return (
    <div className="stack" role="region" aria-label="Recovery codes" tabIndex={-1} ref={region}>
      <p>
        Save these recovery codes somewhere safe. Each works once instead of a code, if you lose your phone. They
        are shown only now.
      </p>
      <ul className="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      {onSaved && (
        <button type="button" className="primary" onClick={onSaved}>
          I have saved them: continue
        </button>
      )}
    </div>
  );
}

function CodeField({ label, name, value, onChange }: { label: string; name: string; value: string; onChange: (code: string) => void }) {
  return (
    <label className="field">
      <span>{label}</span>
      <input name={name} inputMode="numeric" autoComplete="one-time-code" required value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** `onEnabled`: called once two-factor authentication is on and its recovery codes are saved. */
function TwoFactor({ onEnabled }: { onEnabled?: () => void }) {
  const [status, setStatus] = useState<TwoFactorStatus | null>(null);
  const [enrolment, setEnrolment] = useState<TotpEnrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [justEnabled, setJustEnabled] = useState(false);
  // Each form its own code: one shared value filled both boxes at once.
  const [enableCode, setEnableCode] = useState("");
  const [newCodesCode, setNewCodesCode] = useState("");
  const [offCode, setOffCode] = useState("");
  const [password, setPassword] = useState("");
  const { run, setError, lines } = useActionFeedback();
  const load = useCallback(() => http.twoFactor().then(setStatus, (e: unknown) => setError(message(e))), [setError]);
  useEffect(() => void load(), [load]);

  const act = (action: () => Promise<void>, done: string | null = null) =>
    run(
      async () => {
        await action();
        setEnableCode("");
        setNewCodesCode("");
        setOffCode("");
        setPassword("");
        await load();
      },
      done,
      OFFLINE,
    );

  if (!status) return <Section title="Two-factor authentication">{lines()}</Section>;
  return (
    <Section title="Two-factor authentication">
      {status.must_enable && (
        <p className="form-error" role="alert">
          Your workspace requires two-factor authentication for staff: turn it on to continue.
        </p>
      )}
      {codes && <RecoveryCodes codes={codes} onSaved={justEnabled ? onEnabled : undefined} />}
      {justEnabled && onEnabled ? null : status.enabled ? (
        <>
          <p>
            On. Sign-ins ask for a code from your authenticator app. Recovery codes left: {status.recovery_codes_left}.
          </p>
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void act(async () => setCodes((await http.newRecoveryCodes(newCodesCode)).recovery_codes));
            }}
          >
            <CodeField label="Code from your app, for new recovery codes" name="new_codes_code" value={newCodesCode} onChange={setNewCodesCode} />
            <button type="submit">New recovery codes</button>
          </form>
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void act(async () => {
                await http.disableTwoFactor({ password, code: offCode });
                setCodes(null);
              }, "Two-factor authentication is off.");
            }}
          >
            <label className="field">
              <span>Password</span>
              <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
            <CodeField label="Code from your app or a recovery code, to turn off" name="disable_code" value={offCode} onChange={setOffCode} />
            <button type="submit" className="danger">
              Turn off
            </button>
          </form>
        </>
      ) : enrolment ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              setCodes((await http.confirmTotp(enableCode)).recovery_codes);
              setJustEnabled(true);
              setEnrolment(null);
            }, "Two-factor authentication is on. Every other session was signed out.");
          }}
        >
          <p>Scan this QR code with your authenticator app, then enter the code it shows.</p>
          <img className="qr-code" src={enrolment.qr_code} alt="QR code for your authenticator app" width={200} height={200} />
          <p className="muted">
            Or type this key: <code data-testid="totp-secret">{enrolment.secret}</code>
          </p>
          <CodeField label="Code from your app" name="code" value={enableCode} onChange={setEnableCode} />
          <button type="submit" className="primary">
            Turn on
          </button>
        </form>
      ) : (
        <>
          <p>Off. Add a code from an authenticator app to every sign-in.</p>
          <button type="button" onClick={() => void act(async () => setEnrolment(await http.startTotp()))}>
            Set up two-factor authentication
          </button>
        </>
      )}
      {lines()}
    </Section>
  );
}

function BlockedPeople() {
  const [blocks, setBlocks] = useState<Block[] | null>(null);
  const { run, setError, lines } = useActionFeedback();
  const load = useCallback(() => http.blocks().then(setBlocks, (e: unknown) => setError(message(e))), [setError]);
  useEffect(() => void load(), [load]);

  return (
    <Section title="Blocked people">
      {blocks?.length === 0 && <p className="muted">You have not blocked anyone.</p>}
      <ul className="session-list" aria-label="Blocked people">
        {blocks?.map((b) => (
          <li key={b.user.id} className="session">
            <span>{b.user.display_name || b.user.username}</span>
            <button type="button" onClick={() => void run(() => http.unblock(b.user.id).then(load), null, OFFLINE)}>
              Unblock
            </button>
          </li>
        ))}
      </ul>
      {lines()}
    </Section>
  );
}

function Invitations() {
  const [invitations, setInvitations] = useState<Invitation[] | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [uses, setUses] = useState(1);
  const [days, setDays] = useState(7);
  const { run, setError, lines } = useActionFeedback();
  const load = useCallback(() => http.invitations().then(setInvitations, (e: unknown) => setError(message(e))), [setError]);
  useEffect(() => void load(), [load]);

  async function create(event: FormEvent) {
    event.preventDefault();
    const made = async () => {
      setLink((await http.invite({ max_uses: uses, days })).link);
      await load();
    };
    await run(made, null, OFFLINE);
  }

  return (
    <Section title="Invite people">
      <form className="stack" onSubmit={create}>
        <label className="field">
          <span>People it admits</span>
          <input type="number" min={1} max={100} value={uses} onChange={(e) => setUses(Number(e.target.value))} />
        </label>
        <label className="field">
          <span>Days it works</span>
          <input type="number" min={1} max={30} value={days} onChange={(e) => setDays(Number(e.target.value))} />
        </label>
        <button type="submit">Make an invitation link</button>
      </form>
      {link && (
        <p role="status">
          Share this link (shown only now): <code data-testid="invitation-link">{link}</code>
        </p>
      )}
      <ul className="session-list" aria-label="Invitations">
        {invitations?.map((i) => (
          <li key={i.id} className="session">
            <span>
              {i.uses} of {i.max_uses} used · expires {new Date(i.expires_at).toLocaleDateString()}
            </span>
            <button type="button" onClick={() => void http.revokeInvitation(i.id).then(load)}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
      {lines()}
    </Section>
  );
}

function YourData() {
  const [exported, setExported] = useState<DataExport | null>(null);
  const { run, setError, lines } = useActionFeedback();
  const load = useCallback(
    () =>
      http.dataExports().then(
        (exports) => setExported(exports[0] ?? null),
        (e: unknown) => setError(message(e)),
      ),
    [setError],
  );
  useEffect(() => void load(), [load]);
  const building = exported?.status === "pending" || exported?.status === "running";
  useEffect(() => {
    if (!building) return;
    const timer = setInterval(() => void load(), 1000); // the ZIP is built by a background task
    return () => clearInterval(timer);
  }, [building, load]);

  const start = () => run(async () => setExported(await http.requestDataExport()), null, OFFLINE);

  return (
    <Section title="Your data">
      <p className="muted">A ZIP of your profile, your messages and your files.</p>
      {building && exported && (
        <div className="stack">
          <progress max={100} value={exported.progress} aria-label="Preparing your data" />
          <p role="status">Preparing your data… {exported.progress}%</p>
        </div>
      )}
      {exported?.status === "ready" && exported.download_url && (
        <>
          <p role="status">
            Your data is ready (available until{" "}
            {exported.expires_at ? new Date(exported.expires_at).toLocaleDateString() : "soon"}; a newer one can be
            asked for from then).
          </p>
          <DownloadZip exported={exported} onChanged={setExported} onError={setError} />
        </>
      )}
      {exported?.status === "failed" && <p className="form-error">Preparing your data failed: try again.</p>}
      <button type="button" onClick={() => void start()} disabled={building}>
        Download my data
      </button>
      {lines()}
    </Section>
  );
}

/** The ZIP's download: a plain form posting the export's token, so the browser downloads the file itself (to
 * disk as it arrives, with its progress, whatever its size) and the token is in no URL, where the browser's
 * history (synced to the person's other devices) and its downloads list would keep it. The token is listed
 * afresh first: one from a page left open past its hour would be refused. */
export function DownloadZip({
  exported,
  onChanged,
  onError,
}: {
  exported: DataExport;
  onChanged: (latest: DataExport | null) => void;
  onError: (error: string | null) => void;
}) {
  async function download(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    onError(null);
    try {
      const latest = (await http.dataExports()).find((e) => e.id === exported.id) ?? null;
      if (!latest?.download_url || !latest.download_token) {
        onChanged(latest); // gone meanwhile: the section says so, and offers a new one
        return;
      }
      const token = form.elements.namedItem("token") as HTMLInputElement;
      form.action = latest.download_url;
      token.value = latest.download_token;
      form.submit(); // the browser's own submission (no submit event: this handler does not run again)
      token.value = ""; // the submission took its fields already: the token is not left in the page
    } catch (e) {
      onError(message(e));
    }
  }

  return (
    <form method="post" action={exported.download_url ?? undefined} onSubmit={(e) => void download(e)}>
      <input type="hidden" name="token" defaultValue="" />
      <button type="submit">Download the ZIP</button>
    </form>
  );
}

function DeleteAccount({ onDeleted }: { onDeleted: () => void }) {
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const { setError, lines } = useActionFeedback();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!window.confirm("Delete your account for good? This cannot be undone.")) return;
    setError(null);
    try {
      await http.deleteAccount({ password, code });
      onDeleted();
    } catch (e) {
      setError(e instanceof ApiError && e.code === "otp_required" ? "Enter a code from your authenticator app." : message(e));
    }
  }

  return (
    <Section title="Delete account">
      <p className="muted">
        Your profile, files, sessions and bots go; your messages show as from “Deleted user”. It cannot be undone.
      </p>
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>Your password</span>
          <input name="delete_password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <label className="field">
          <span>Two-factor code (if it is on)</span>
          <input name="delete_code" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
        <button type="submit" className="danger">
          Delete my account
        </button>
      </form>
      {lines()}
    </Section>
  );
}

interface SecurityProps {
  onSignedOut: (ended?: EndedSession) => void;
  header?: ReactNode;
  /** Two-factor authentication was turned on and its recovery codes saved. */
  onTwoFactorEnabled?: () => void;
  /** Every section: the ones past the security essentials need the signed-in shell (its context). */
  full?: boolean;
}

export function Security({ onSignedOut, header, onTwoFactorEnabled, full = false }: SecurityProps) {
  return (
    <section className="panel" aria-labelledby="security-heading">
      <header className="panel-header">
        {header}
        <h1 id="security-heading">Security</h1>
      </header>
      <div className="panel-body stack">
        <TwoFactor onEnabled={onTwoFactorEnabled} />
        <ChangePassword />
        {full && <EmailAddress />}
        <Sessions onSignedOut={() => onSignedOut()} />
        {full && <BlockedPeople />}
        {full && <Invitations />}
        {full && <YourData />}
        {full && <DeleteAccount onDeleted={() => onSignedOut({ why: "deleted" })} />}
      </div>
    </section>
  );
}
