/**
 * Health checks with DO's semantics (reference 1.5): after `initial_delay_seconds`, one probe every
 * `period_seconds` with a `timeout_seconds` bound; an HTTP GET of `http_path` that must answer
 * 2xx/3xx, or a TCP connect when there is no path. `success_threshold` successes in a row make
 * the instance ready, `failure_threshold` failures in a row make it not ready (for a liveness
 * check: failed, and the supervisor restarts it). Clock and probe are injected, so the state
 * machine is tested without waiting.
 *
 * Startup probing (readiness): until an instance has been ready once, a failed probe is retried
 * after `startupIntervalMs` instead of a whole period, so an app that listens 300 ms after its
 * start takes traffic then, not at the next 10 s period. Those extra probes never make the check
 * stricter: at most one failure per period counts towards `failure_threshold`.
 */
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { HEALTH_CHECK_DEFAULTS, LIVENESS_CHECK_DEFAULTS } from "../../spec/index.js";

/** The fields of a spec `health_check` or `liveness_health_check` (src/spec's schema). */
export interface HealthCheckFields {
  initial_delay_seconds?: number;
  period_seconds?: number;
  timeout_seconds?: number;
  success_threshold?: number;
  failure_threshold?: number;
  http_path?: string;
  /** Deprecated spelling of `http_path` (readiness only). */
  path?: string;
  port?: number;
}

/** A health check with every value filled. */
export interface HealthCheckSettings {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  /** Set: HTTP GET; unset: TCP connect. */
  httpPath?: string;
  port: number;
}

/** Where and how one probe goes. */
export interface ProbeTarget {
  host: string;
  port: number;
  httpPath?: string;
  timeoutMs: number;
  /**
   * Fail a probe whose TCP connection is not made within this many ms (the answer still gets
   * `timeoutMs`). Startup probes set it: a sandbox still booting answers nothing at all, not
   * even a reset, and waiting the whole timeout there would delay readiness by it.
   */
  connectTimeoutMs?: number;
}

/** One probe: resolves when healthy, rejects with the reason otherwise. */
export type Probe = (target: ProbeTarget) => Promise<void>;

/** `ready` after enough successes, `not-ready` before that and after enough failures. */
export interface HealthStatus {
  state: "ready" | "not-ready";
  /** The last probe's error, if it failed. */
  lastError?: string;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  probes: number;
}

/** Options of {@link startHealthCheck}. */
export interface HealthCheckOptions {
  settings: HealthCheckSettings;
  host: string;
  /** Default {@link realProbe}. */
  probe?: Probe;
  /** Default a real timer; tests pass one that returns at once. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Until the first time the check is ready, retry a failed probe after this many ms, counting
   * at most one failure per period; default off (one probe per period from the start).
   */
  startupIntervalMs?: number;
  /** The connect bound of startup probes (see ProbeTarget.connectTimeoutMs); default 250. */
  startupConnectTimeoutMs?: number;
  /** Milliseconds of a monotonic clock; default `performance.now`. */
  now?: () => number;
  /** Called after every counted probe whose outcome changed `state`, and after the first probe. */
  onChange?: (status: HealthStatus) => void;
  /** Called after every counted probe. */
  onProbe?: (status: HealthStatus) => void;
  /**
   * `ready` resumes a check that already passed (an instance adopted by a restarted control
   * plane, ADR 0026): no initial delay, and `failure_threshold` failures before it is not ready.
   * Default `not-ready`.
   */
  initialState?: "ready" | "not-ready";
}

/** A running health check. */
export interface HealthCheck {
  status(): HealthStatus;
  /** Stops probing; resolves once the loop has ended. */
  stop(): Promise<void>;
}

/**
 * Settings from a spec `health_check` (kind `readiness`) or `liveness_health_check` (`liveness`),
 * with the defaults of reference 1.5 filled and `port` defaulting to the component's `httpPort`.
 */
export function healthCheckSettings(
  spec: HealthCheckFields | undefined,
  httpPort: number,
  kind: "readiness" | "liveness" = "readiness",
): HealthCheckSettings {
  const d = kind === "readiness" ? HEALTH_CHECK_DEFAULTS : LIVENESS_CHECK_DEFAULTS;
  const settings: HealthCheckSettings = {
    initialDelaySeconds: spec?.initial_delay_seconds ?? d.initial_delay_seconds,
    periodSeconds: spec?.period_seconds ?? d.period_seconds,
    timeoutSeconds: spec?.timeout_seconds ?? d.timeout_seconds,
    successThreshold: spec?.success_threshold ?? d.success_threshold,
    failureThreshold: spec?.failure_threshold ?? d.failure_threshold,
    port: spec?.port ?? httpPort,
  };
  const path = spec?.http_path ?? spec?.path;
  if (path !== undefined) settings.httpPath = path;
  return settings;
}

/** Folds one probe outcome into the status. Pure. */
export function nextHealthStatus(
  status: HealthStatus,
  settings: HealthCheckSettings,
  error: string | undefined,
): HealthStatus {
  const ok = error === undefined;
  const next: HealthStatus = {
    state: status.state,
    consecutiveSuccesses: ok ? status.consecutiveSuccesses + 1 : 0,
    consecutiveFailures: ok ? 0 : status.consecutiveFailures + 1,
    probes: status.probes + 1,
  };
  if (!ok) next.lastError = error;
  if (next.consecutiveSuccesses >= settings.successThreshold) next.state = "ready";
  if (next.consecutiveFailures >= settings.failureThreshold) next.state = "not-ready";
  return next;
}

/** Starts probing `host` per `settings` until `stop()`. */
export function startHealthCheck(options: HealthCheckOptions): HealthCheck {
  const { settings } = options;
  const probe = options.probe ?? realProbe;
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const abort = new AbortController();
  let status: HealthStatus = {
    state: options.initialState ?? "not-ready",
    consecutiveSuccesses: 0,
    consecutiveFailures: 0,
    probes: 0,
  };
  const target: ProbeTarget = {
    host: options.host,
    port: settings.port,
    timeoutMs: settings.timeoutSeconds * 1000,
  };
  if (settings.httpPath !== undefined) target.httpPath = settings.httpPath;
  const now = options.now ?? (() => performance.now());
  const periodMs = settings.periodSeconds * 1000;
  let starting = options.startupIntervalMs !== undefined;
  let lastCountedFailure = Number.NEGATIVE_INFINITY;
  const loop = (async () => {
    if (options.initialState !== "ready") await sleep(settings.initialDelaySeconds * 1000, abort.signal);
    while (!abort.signal.aborted) {
      const probeTarget = starting
        ? { ...target, connectTimeoutMs: options.startupConnectTimeoutMs ?? 250 }
        : target;
      const error = await probe(probeTarget).then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      );
      if (abort.signal.aborted) break;
      const at = now();
      // A startup retry within the period of the last counted failure changes nothing.
      const counted = !starting || error === undefined || at - lastCountedFailure >= periodMs;
      if (counted) {
        if (error !== undefined) lastCountedFailure = at;
        const before = status;
        status = nextHealthStatus(status, settings, error);
        if (before.probes === 0 || before.state !== status.state) options.onChange?.(status);
        options.onProbe?.(status);
        if (status.state === "ready") starting = false;
      }
      const retrySoon = starting && error !== undefined;
      await sleep(retrySoon ? (options.startupIntervalMs as number) : periodMs, abort.signal);
    }
  })().catch(() => undefined);
  return {
    status: () => status,
    stop: async () => {
      abort.abort();
      await loop;
    },
  };
}

/** The real probe: HTTP GET expecting 2xx/3xx when `httpPath` is set, else a TCP connect. */
export const realProbe: Probe = (target) =>
  target.httpPath === undefined ? tcpProbe(target) : httpProbe(target);

/** Destroys `socket` with an error when it is still connecting after `ms` (if given). */
function boundConnect(socket: Socket, target: ProbeTarget, fail: (err: Error) => void): void {
  const ms = target.connectTimeoutMs;
  if (ms === undefined || !socket.connecting) return;
  const timer = setTimeout(() => {
    fail(new Error(`no TCP connection to ${target.host}:${target.port} within ${ms} ms`));
    socket.destroy();
  }, ms);
  socket.once("connect", () => clearTimeout(timer));
  socket.once("close", () => clearTimeout(timer));
}

function tcpProbe(target: ProbeTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, timeout: target.timeoutMs });
    boundConnect(socket, target, reject);
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(
        new Error(`TCP connect to ${target.host}:${target.port} timed out after ${target.timeoutMs} ms`),
      );
    });
    socket.once("error", (err) =>
      reject(new Error(`TCP connect to ${target.host}:${target.port}: ${err.message}`)),
    );
  });
}

function httpProbe(target: ProbeTarget): Promise<void> {
  const where = `GET http://${target.host}:${target.port}${target.httpPath}`;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        path: target.httpPath,
        method: "GET",
        timeout: target.timeoutMs,
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) resolve();
        else reject(new Error(`${where}: status ${code}`));
      },
    );
    req.once("socket", (socket) => boundConnect(socket, target, (err) => req.destroy(err)));
    req.once("timeout", () => req.destroy(new Error(`timed out after ${target.timeoutMs} ms`)));
    req.once("error", (err) => reject(new Error(`${where}: ${err.message}`)));
    req.end();
  });
}
