/**
 * Limits and checks at the edge for malformed and abusive requests (ADR 0022). HAProxy answers
 * them itself — cleanly, with a status — so they never reach an app and never cost another app
 * its share of the router.
 */

/**
 * `global` lines: the request size limits, written out (they are HAProxy 2.6's defaults) because
 * the edge's behaviour depends on them: a request line plus headers must fit in one 16 KiB buffer
 * (less the 1 KiB kept for rewrites) and hold at most 101 header lines; past either HAProxy
 * answers 400 itself.
 */
export function edgeGlobalLines(): string[] {
  return ["  tune.bufsize 16384", "  tune.http.maxhdr 101"];
}

/**
 * `defaults` lines. `timeout http-request` (already set by the caller) bounds how long a client
 * may take to send its headers — and, with `option http-buffer-request`, the start of its body —
 * so slow clients (slowloris, slow POST) are answered 408 and closed by HAProxy instead of
 * holding an app instance's connection.
 */
export function edgeDefaultsLines(): string[] {
  return ["  option http-buffer-request"];
}

/**
 * Frontend lines checked before a request is routed by its normalized Host: a request with no
 * Host, an empty one, or one whose port is not a number (RFC 9110 7.2) is answered 400 rather
 * than routed under a made-up name. `when` guards them (the route lookup runs them only when
 * the request's own Host found nothing, which such a Host never does); the regex only runs for
 * Host headers holding a `:`.
 */
export function edgeFrontendLines(when = ""): string[] {
  const bad = (why: string) =>
    `http-request return status 400 content-type "text/plain; charset=utf-8" string "Bad request: ${why}.\\n"`;
  const guard = when === "" ? "" : ` ${when}`;
  return [
    `  ${bad("missing or empty Host header")} if${guard} !{ req.hdr(host),length -m int gt 0 }`,
    `  ${bad("the Host header's port is not a number")} if${guard} { req.hdr(host) -m sub : } !{ req.hdr(host) -m reg ^[^:]+:[0-9]{1,5}$ }`,
  ];
}
