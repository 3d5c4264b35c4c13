// What a dialog's last action came to, said once it settles: what was done as a status line (a screen reader
// hears it), or why it failed (the server's words) as an alert. Each action clears what the last one said.
import { useCallback, useState, type ReactNode } from "react";
import { ApiError } from "../api/client";

export interface ActionFeedback {
  /** Run `attempt`; then say `done`, or why it failed (`failure` when the server gave no reason). Resolves to
   * whether it was done. */
  run: (attempt: () => Promise<unknown>, done: string, failure?: string) => Promise<boolean>;
  setError: (error: string | null) => void;
  /** The status line and the alert, where the dialog shows them. */
  lines: (className?: string) => ReactNode;
}

export function useActionFeedback(): ActionFeedback {
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (attempt: () => Promise<unknown>, done: string, failure = "Could not save; try again.") => {
    setError(null);
    setStatus(null);
    try {
      await attempt();
      setStatus(done);
      return true;
    } catch (e) {
      setError(e instanceof ApiError ? e.message : failure);
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
