/**
 * Per-app fairness in the rendered HAProxy configuration (ADR 0017): one app's spike must not
 * starve another. Connections to instances are capped per server (`maxconn`) so the excess waits
 * in that backend's own queue (`timeout queue`), not in a shared one; each routed host is tracked
 * in a stick-table (request rate, concurrent connections) and answered 429 over its limit; the
 * frontend's `maxconn` is the process's, so the per-host cap is what keeps one app from taking
 * every connection.
 */

/** Fairness settings; every field has a default (see {@link fairnessDefaults}). */
export interface FairnessOptions {
  /** Connections the whole router accepts (global and frontend `maxconn`). Default 4096. */
  maxConn?: number;
  /** Concurrent connections to one instance (server `maxconn`); the rest queue. Default 64. */
  serverMaxConn?: number;
  /** How long a request may wait in its backend's queue before a 503. Default 5 s. */
  queueTimeoutSeconds?: number;
  /** Requests per `ratePeriodSeconds` one host may make before getting 429. Default 10,000. */
  hostRequestLimit?: number;
  /** The request-rate window. Default 10 s. */
  ratePeriodSeconds?: number;
  /** Concurrent client connections one host may hold before new requests get 429. Default maxConn / 4. */
  hostMaxConn?: number;
}

/** The options with every default filled in. */
export function fairnessDefaults(o: FairnessOptions): Required<FairnessOptions> {
  const maxConn = o.maxConn ?? 4096;
  return {
    maxConn,
    serverMaxConn: o.serverMaxConn ?? 64,
    queueTimeoutSeconds: o.queueTimeoutSeconds ?? 5,
    hostRequestLimit: o.hostRequestLimit ?? 10_000,
    ratePeriodSeconds: o.ratePeriodSeconds ?? 10,
    hostMaxConn: o.hostMaxConn ?? Math.max(1, Math.floor(maxConn / 4)),
  };
}

/** Lines for `defaults`: the queue timeout. */
export function fairnessDefaultsLines(o: FairnessOptions | undefined): string[] {
  return o === undefined ? [] : [`  timeout queue ${fairnessDefaults(o).queueTimeoutSeconds}s`];
}

/** Frontend lines before routing: the connection cap and the per-host stick-table. */
export function fairnessFrontendHead(o: FairnessOptions | undefined): string[] {
  if (o === undefined) return [];
  const f = fairnessDefaults(o);
  return [
    `  maxconn ${f.maxConn}`,
    `  stick-table type string len 253 size 100k expire ${Math.max(30, f.ratePeriodSeconds * 3)}s store http_req_rate(${f.ratePeriodSeconds}s),conn_cur`,
  ];
}

/**
 * Frontend lines once the host is known to be routed (unknown hosts never fill the table):
 * track the host, answer 429 over either limit. `Retry-After` is the rate window.
 */
export function fairnessFrontendLines(o: FairnessOptions | undefined): string[] {
  if (o === undefined) return [];
  const f = fairnessDefaults(o);
  const answer = (what: string) =>
    `http-request return status 429 content-type "text/plain; charset=utf-8" hdr Retry-After ${f.ratePeriodSeconds} string "Too many ${what} for this app; try again shortly.\\n"`;
  return [
    "  http-request track-sc0 var(txn.host)",
    `  ${answer("requests")} if { sc0_http_req_rate gt ${f.hostRequestLimit} }`,
    `  ${answer("connections")} if { sc0_conn_cur gt ${f.hostMaxConn} }`,
    // A refused client lets go of its connection, so the router's connections stay free for others.
    "  http-after-response set-header Connection close if { status 429 }",
  ];
}

/** A backend's `fullconn` (the load at which dynamic limits reach their maximum). */
export function fairnessBackendLines(o: FairnessOptions | undefined, slots: number): string[] {
  if (o === undefined) return [];
  const f = fairnessDefaults(o);
  return [`  fullconn ${Math.min(f.maxConn, f.serverMaxConn * slots)}`];
}

/** The suffix of each server line: its connection cap. */
export function fairnessServerSuffix(o: FairnessOptions | undefined): string {
  return o === undefined ? "" : ` maxconn ${fairnessDefaults(o).serverMaxConn}`;
}
