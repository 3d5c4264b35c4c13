import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ActivityReporter, IDLE_AFTER_MS, THROTTLE_MS, type ActivityEnv, type ActivityFrame } from "./activity";

/** A page whose visibility, focus and input the test drives; timers are Vitest's fake ones. */
function fakePage() {
  const handlers = new Map<string, Set<() => void>>();
  const page = { visible: true, focused: true };
  const env: ActivityEnv = {
    now: () => Date.now(),
    visible: () => page.visible,
    focused: () => page.focused,
    listen: (target, event, handler) => {
      const key = `${target}:${event}`;
      if (!handlers.has(key)) handlers.set(key, new Set());
      handlers.get(key)?.add(handler);
      return () => handlers.get(key)?.delete(handler);
    },
    setTimeout: (handler, ms) => setTimeout(handler, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  const fire = (key: string) => handlers.get(key)?.forEach((handler) => handler());
  return {
    env,
    page,
    hide: () => {
      page.visible = false;
      fire("document:visibilitychange");
    },
    show: () => {
      page.visible = true;
      fire("document:visibilitychange");
    },
    blur: () => {
      page.focused = false;
      fire("window:blur");
    },
    focus: () => {
      page.focused = true;
      fire("window:focus");
    },
    key: () => fire("window:keydown"),
    move: () => fire("window:pointermove"),
    listening: () => [...handlers.values()].reduce((n, set) => n + set.size, 0),
  };
}

function setup(open = true) {
  const fake = fakePage();
  const sent: ActivityFrame[] = [];
  const link = { open };
  const reporter = new ActivityReporter({
    send: (frame) => {
      if (!link.open) return false;
      sent.push(frame);
      return true;
    },
    env: fake.env,
  });
  reporter.start();
  return { ...fake, reporter, sent, link };
}

describe("ActivityReporter", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-12-03T06:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("reports the page on every (re)connect, at once, however recent the last frame", () => {
    const { reporter, sent } = setup();
    reporter.connected();
    reporter.connected();
    expect(sent).toEqual([
      { type: "activity", visible: true, focused: true, idle_seconds: 0 },
      { type: "activity", visible: true, focused: true, idle_seconds: 0 },
    ]);
  });

  it("reports a turn away (hidden, then unfocused) at once, even within the throttle", () => {
    const { reporter, sent, hide, blur } = setup();
    reporter.connected();
    vi.advanceTimersByTime(100);
    hide();
    vi.advanceTimersByTime(100);
    blur();
    expect(sent.map((f) => [f.visible, f.focused])).toEqual([
      [true, true],
      [false, true],
      [false, false],
    ]);
  });

  it("holds a return to the page until the throttle allows, and then sends only the state it settled on", () => {
    const { reporter, sent, hide, show, focus, blur } = setup();
    reporter.connected();
    blur();
    hide(); // both turns away: sent at once
    expect(sent).toHaveLength(3);
    vi.advanceTimersByTime(500);
    show();
    focus();
    expect(sent).toHaveLength(3); // coming back waits for the throttle
    vi.advanceTimersByTime(THROTTLE_MS);
    expect(sent).toHaveLength(4);
    expect(sent[3]).toMatchObject({ visible: true, focused: true });
  });

  it("sends nothing when a change is undone within the throttle", () => {
    const { reporter, sent, blur, focus } = setup();
    reporter.connected();
    blur();
    focus(); // back within the throttle: the trailing frame would say what the server already heard…
    blur(); // …and away again: the server already knows
    vi.advanceTimersByTime(THROTTLE_MS * 2);
    expect(sent.map((f) => f.focused)).toEqual([true, false]);
  });

  it("goes idle after five minutes without input, and reports input again", () => {
    const { reporter, sent, key } = setup();
    reporter.connected();
    vi.advanceTimersByTime(IDLE_AFTER_MS - 1000);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual({ type: "activity", visible: true, focused: true, idle_seconds: IDLE_AFTER_MS / 1000 });
    vi.advanceTimersByTime(60_000);
    key();
    expect(sent).toHaveLength(3);
    expect(sent[2]?.idle_seconds).toBe(0);
  });

  it("counts idleness from the last input, not from when the timer was set", () => {
    const { reporter, sent, move } = setup();
    reporter.connected();
    vi.advanceTimersByTime(IDLE_AFTER_MS - 10_000);
    move(); // reading, the mouse on the page
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1); // the timer fired, saw the input, and waits the rest
    vi.advanceTimersByTime(IDLE_AFTER_MS - 10_000);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.idle_seconds).toBe(IDLE_AFTER_MS / 1000);
  });

  it("sends input-again frames no more than once per throttle window", () => {
    const { reporter, sent, key } = setup();
    reporter.connected();
    vi.advanceTimersByTime(IDLE_AFTER_MS + 60_000);
    key(); // active: sent (the idle frame was long ago)
    key();
    key();
    expect(sent).toHaveLength(3);
    expect(sent.map((f) => f.idle_seconds > 0)).toEqual([false, true, false]);
  });

  it("keeps quiet while the socket is closed, and tells the new connection the state it finds", () => {
    const { reporter, sent, link, hide } = setup(false);
    reporter.connected(); // not open after all
    hide();
    expect(sent).toEqual([]);
    link.open = true;
    reporter.connected();
    expect(sent).toEqual([{ type: "activity", visible: false, focused: true, idle_seconds: 0 }]);
  });

  it("stops listening and timing when stopped", () => {
    const { reporter, sent, listening } = setup();
    reporter.connected();
    reporter.stop();
    expect(listening()).toBe(0);
    vi.advanceTimersByTime(IDLE_AFTER_MS * 2);
    expect(sent).toHaveLength(1);
  });
});
