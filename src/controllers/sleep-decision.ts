/**
 * When a service with `inactivity_sleep` goes to sleep (ADR 0023). Pure: the previous state, what
 * is observed now and the settings give the decision and the next state. Activity is a change of
 * the component's request total (HAProxy's backend counter, which also counts the requests the
 * activator holds) or a wake-up seen as the instances leaving suspension; idleness is the time
 * since the last activity.
 */

/** What is remembered of one component between two looks. */
export interface ActivityState {
  /** The request total at the last look; undefined when it could not be read. */
  total: number | undefined;
  /** Epoch ms of the last activity (or of the first look). */
  lastActivityMs: number;
  /** Whether every instance was suspended at the last look. */
  suspended: boolean;
}

/** What is observed at one look. */
export interface SleepObservation {
  nowMs: number;
  /** The component's request total now; undefined when it cannot be read (no backend yet). */
  total: number | undefined;
  /** Every (not draining) instance of the component is suspended. */
  suspended: boolean;
  /** Every instance is ready: the component is up and serving (only such a component sleeps). */
  serving: boolean;
}

/** The settings of one component. */
export interface SleepSettings {
  /** `inactivity_sleep.after_seconds` in ms. */
  afterMs: number;
}

/** What to do now and when to look again. */
export interface SleepDecision {
  state: ActivityState;
  /** Suspend every instance of the component now. */
  suspend: boolean;
  /** Look again after this long (ms). */
  recheckMs: number;
}

/** How often the request total is read: a tenth of the idle time, between 1 s and 30 s. */
export function pollInterval(settings: SleepSettings): number {
  return Math.min(30_000, Math.max(1000, Math.round(settings.afterMs / 10)));
}

/**
 * Decides for one component. The first look starts the idle clock (a restarted server never puts
 * a service to sleep at once); an unreadable total never suspends (idleness cannot be told).
 */
export function decideSleep(
  previous: ActivityState | undefined,
  observed: SleepObservation,
  settings: SleepSettings,
): SleepDecision {
  const now = observed.nowMs;
  const poll = pollInterval(settings);
  const active =
    previous === undefined ||
    (observed.total !== undefined && observed.total !== previous.total) ||
    (previous.suspended && !observed.suspended);
  const state: ActivityState = {
    total: observed.total,
    lastActivityMs: active ? now : previous.lastActivityMs,
    suspended: observed.suspended,
  };
  const idleMs = now - state.lastActivityMs;
  const suspend =
    !observed.suspended && observed.serving && observed.total !== undefined && idleMs >= settings.afterMs;
  // Look again at the poll interval, or sooner when the idle time runs out before it.
  const left = settings.afterMs - idleMs;
  const recheckMs = suspend || observed.suspended ? poll : Math.max(1, Math.min(poll, left));
  return { state: suspend ? { ...state, suspended: true } : state, suspend, recheckMs };
}
