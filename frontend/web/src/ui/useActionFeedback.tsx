// What a dialog's last action came to, said once it settles: what was done as a status line (a screen reader
// hears it), or why it failed (the server's words) as an alert. Each action clears what the last one said.
import { useCallback, useState, type ReactNode } from "react";
import { ApiError } from "../api/client";

/** What to say once an action is done: nothing, a sentence, or one made from what the action returned. */
export type Done<T> = string | null | ((result: T) => string);

export interface ActionFeedback {
  /** Run `attempt`; then say `done`, or why it failed (`failure` when the server gave no reason). Resolves to
   * whether it was done. */
  run: <T>(attempt: () => Promise<T>, done: Done<T>, failure?: string) => Promise<boolean>;
  setError: (error: string | null) => void;
  /** The status line and the alert, where the dialog shows them. */
  lines: (className?: string) => ReactNode;
}

/** Why an action failed, in words: the server's, else `failure` (offline, or no answer). */
export function failureReason(e: unknown, failure = "Could not save; try again."): string {
  return e instanceof ApiError ? e.message : failure;
}

export function useActionFeedback(): ActionFeedback {
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async <T,>(attempt: () => Promise<T>, done: Done<T>, failure?: string) => {
    setError(null);
    setStatus(null);
    try {
      const result = await attempt();
      setStatus(typeof done === "function" ? done(result) : done);
      return true;
    } catch (e) {
      setError(failureReason(e, failure));
      return false;
    }
  }, []);
  const lines = (className = "muted") => (
    <>
      <p className={className} role="status">
        {status}
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
  return { run, setError, lines };
}
