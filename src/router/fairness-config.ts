/**
 * Per-app fairness in the rendered HAProxy configuration (ADR 0017, ADR 0031): one app's spike
 * must not starve another. Connections to instances are capped per server (`maxconn`) so the
 * excess waits in that backend's own queue (`timeout queue`), not in a shared one; each app
 * component's backend answers 429 once it has too many requests in progress or queued
 * (`be_conn`) or receives too many per second (`be_sess_rate`). Both are counters HAProxy keeps
 * for every backend anyway, so the limits cost two comparisons per request instead of a
 * stick-table update; the frontend's `maxconn` is the process's.
 */

/** Fairness settings; every field has a default (see {@link fairnessDefaults}). */
export interface FairnessOptions {
  /** Connections the whole router accepts (global and frontend `maxconn`). Default 4096. */
  maxConn?: number;
  /** Concurrent connections to one instance (server `maxconn`); the rest queue. Default 64. */
  serverMaxConn?: number;
  /** How long a request may wait in its backend's queue before a 503. Default 5 s. */
  queueTimeoutSeconds?: number;
  /**
   * Requests per second one app component may receive (HAProxy's rate over the last second)
   * before further ones get 429. Default 10,000 (it stops floods, not busy apps).
   */
  requestsPerSecond?: number;
  /**
   * Requests one app component may have in progress or waiting in its queue before new ones get
   * 429. Default maxConn / 4.
   */
  maxActiveRequests?: number;
}

/** The options with every default filled in. */
export function fairnessDefaults(o: FairnessOptions): Required<FairnessOptions> {
  const maxConn = o.maxConn ?? 4096;
  return {
    maxConn,
    serverMaxConn: o.serverMaxConn ?? 64,
    queueTimeoutSeconds: o.queueTimeoutSeconds ?? 5,
    requestsPerSecond: o.requestsPerSecond ?? 10_000,
    maxActiveRequests: o.maxActiveRequests ?? Math.max(1, Math.floor(maxConn / 4)),
  };
}

/** Lines for `defaults`: the queue timeout. */
export function fairnessDefaultsLines(o: FairnessOptions | undefined): string[] {
  return o === undefined ? [] : [`  timeout queue ${fairnessDefaults(o).queueTimeoutSeconds}s`];
}

/** Frontend lines: the connection cap. */
export function fairnessFrontendLines(o: FairnessOptions | undefined): string[] {
  return o === undefined ? [] : [`  maxconn ${fairnessDefaults(o).maxConn}`];
}

/**
 * The lines of an app's backend (`slots` servers; none for a static site's): `fullconn` (the load
 * at which dynamic limits reach their maximum) and the two 429 answers, which close the client's
 * connection so the router's connections stay free for other apps. `Retry-After` is two
 * seconds: HAProxy's rate blends the current second with the one before, so a burst has left it
 * two seconds later.
 */
export function fairnessBackendLines(o: FairnessOptions | undefined, slots?: number): string[] {
  if (o === undefined) return [];
  const f = fairnessDefaults(o);
  const answer = (what: string) =>
    `http-request return status 429 content-type "text/plain; charset=utf-8" hdr Retry-After 2 string "Too many ${what} for this app; try again shortly.\\n"`;
  return [
    ...(slots === undefined ? [] : [`  fullconn ${Math.min(f.maxConn, f.serverMaxConn * slots)}`]),
    `  ${answer("requests")} if { be_sess_rate gt ${f.requestsPerSecond} }`,
    `  ${answer("requests in progress")} if { be_conn gt ${f.maxActiveRequests} }`,
    "  http-after-response set-header Connection close if { status 429 }",
  ];
}

/** The suffix of each server line: its connection cap. */
export function fairnessServerSuffix(o: FairnessOptions | undefined): string {
  return o === undefined ? "" : ` maxconn ${fairnessDefaults(o).serverMaxConn}`;
}
