// Whether this page is being looked at (docs/protocol.md, "activity"): the socket tells the server after
// every (re)connect and whenever it changes — the page hidden or shown, the window focused or not, no input
// for IDLE_AFTER_MS, input again — so that the server pushes to a person who is away even while a tab of
// theirs is open somewhere. At most one frame per THROTTLE_MS, except that a turn away from the page
// (hidden, unfocused, idle) goes out at once: that is the one that decides whether a push is sent.
import type { ClientFrame } from "./protocol";

export type ActivityFrame = Extract<ClientFrame, { type: "activity" }>;

/** No pointer, key or touch input for this long: idle. */
export const IDLE_AFTER_MS = 300_000;
/** At most one frame per this long (a turn away excepted). */
export const THROTTLE_MS = 3_000;

/** Input that proves someone is there. `pointermove` covers the mouse resting on the page while reading. */
export const INPUT_EVENTS = ["pointerdown", "pointermove", "keydown", "touchstart", "wheel"] as const;

/** The browser, as far as activity goes; tests hand in a fake. */
export interface ActivityEnv {
  now(): number;
  visible(): boolean;
  focused(): boolean;
  /** Listen to a document or window event; returns the way to stop. */
  listen(target: "document" | "window", event: string, handler: () => void): () => void;
  setTimeout(handler: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export function browserEnv(): ActivityEnv {
  return {
    now: () => Date.now(),
    visible: () => document.visibilityState === "visible",
    focused: () => document.hasFocus(),
    listen: (target, event, handler) => {
      const on = target === "document" ? document : window;
      on.addEventListener(event, handler, { passive: true });
      return () => on.removeEventListener(event, handler);
    },
    setTimeout: (handler, ms) => window.setTimeout(handler, ms),
    clearTimeout: (handle) => window.clearTimeout(handle as number),
  };
}

interface Shape {
  visible: boolean;
  focused: boolean;
  idle: boolean;
}

const sameShape = (a: Shape, b: Shape) => a.visible === b.visible && a.focused === b.focused && a.idle === b.idle;

/** Less present than before (hidden, unfocused or idle where it was not): report it at once. */
export const isTurnAway = (from: Shape, to: Shape): boolean =>
  (from.visible && !to.visible) || (from.focused && !to.focused) || (!from.idle && to.idle);

export interface ActivityOptions {
  /** Send a frame now; false when the socket is not open (the next connection reports anyway). */
  send: (frame: ActivityFrame) => boolean;
  env?: ActivityEnv;
  idleAfterMs?: number;
  throttleMs?: number;
}

export class ActivityReporter {
  private readonly env: ActivityEnv;
  private readonly idleAfterMs: number;
  private readonly throttleMs: number;
  private lastInput: number;
  private idle = false;
  /** What the server was last told (null: nothing on this connection yet). */
  private reported: Shape | null = null;
  private lastSentAt = -Infinity;
  private idleTimer: unknown = null;
  private trailingTimer: unknown = null;
  private readonly stops: (() => void)[] = [];

  constructor(private readonly options: ActivityOptions) {
    this.env = options.env ?? browserEnv();
    this.idleAfterMs = options.idleAfterMs ?? IDLE_AFTER_MS;
    this.throttleMs = options.throttleMs ?? THROTTLE_MS;
    this.lastInput = this.env.now();
  }

  start(): void {
    if (this.stops.length) return;
    const changed = () => this.changed();
    const input = () => this.input();
    this.stops.push(
      this.env.listen("document", "visibilitychange", changed),
      this.env.listen("window", "focus", changed),
      this.env.listen("window", "blur", changed),
      ...INPUT_EVENTS.map((event) => this.env.listen("window", event, input)),
    );
    this.armIdle(this.idleAfterMs);
  }

  stop(): void {
    for (const off of this.stops.splice(0)) off();
    this.clear("idleTimer");
    this.clear("trailingTimer");
  }

  /** The socket (re)connected: the server knows nothing of this page yet; tell it now, unthrottled. */
  connected(): void {
    this.reported = null;
    this.clear("trailingTimer");
    this.flush();
  }

  /** The frame describing the page now. */
  frame(): ActivityFrame {
    const now = this.env.now();
    return {
      type: "activity",
      visible: this.env.visible(),
      focused: this.env.focused(),
      idle_seconds: Math.max(0, Math.floor((now - this.lastInput) / 1000)),
    };
  }

  private shape(): Shape {
    return { visible: this.env.visible(), focused: this.env.focused(), idle: this.idle };
  }

  private input(): void {
    this.lastInput = this.env.now();
    if (!this.idle) return; // the common case: nothing to say, no timer to move (see armIdle)
    this.idle = false;
    this.armIdle(this.idleAfterMs);
    this.changed();
  }

  /** One timer, not one per input: when it fires early (input came meanwhile) it waits the rest. */
  private armIdle(ms: number): void {
    this.clear("idleTimer");
    this.idleTimer = this.env.setTimeout(() => {
      this.idleTimer = null;
      const quiet = this.env.now() - this.lastInput;
      if (quiet < this.idleAfterMs) {
        this.armIdle(this.idleAfterMs - quiet);
        return;
      }
      this.idle = true;
      this.changed();
    }, ms);
  }

  private changed(): void {
    const now = this.shape();
    const before = this.reported;
    if (before && sameShape(before, now)) {
      this.clear("trailingTimer"); // back to what was reported before the throttle let it out
      return;
    }
    const wait = this.lastSentAt + this.throttleMs - this.env.now();
    if (!before || wait <= 0 || isTurnAway(before, now)) {
      this.clear("trailingTimer");
      this.flush();
      return;
    }
    if (this.trailingTimer === null) {
      this.trailingTimer = this.env.setTimeout(() => {
        this.trailingTimer = null;
        this.changed();
      }, wait);
    }
  }

  private flush(): void {
    const shape = this.shape();
    if (!this.options.send(this.frame())) return; // not connected: connected() reports when it is
    this.reported = shape;
    this.lastSentAt = this.env.now();
  }

  private clear(timer: "idleTimer" | "trailingTimer"): void {
    if (this[timer] !== null) this.env.clearTimeout(this[timer]);
    this[timer] = null;
  }
}
