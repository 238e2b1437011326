/**
 * The HTTPS parts of the rendered HAProxy configuration: a TLS bind over a crt-list (filled at
 * run time through the runtime API), X-Forwarded-Proto, and the optional HTTP -> HTTPS redirect.
 */

/** The HTTPS bind of the router's HAProxy configuration (`tls` option). */
export interface HaproxyTlsOptions {
  /** The port the HTTPS bind listens on (same address as HTTP). */
  httpsPort: number;
  /** The address the HTTPS bind listens on. Default: the HTTP bind's address. */
  bindAddress?: string;
  /**
   * The crt-list file (absolute). It may be empty at start: certificates are added with
   * `add ssl crt-list`. `strict-sni` makes an unknown or missing SNI fail the handshake
   * (alert 112, unrecognized_name) instead of serving some other host's certificate.
   */
  crtList: string;
  /**
   * Redirect plain-HTTP requests for routed hosts to HTTPS (308, same host and URI). Unknown
   * hosts still get the 404; CORS preflights and redirect rules come after it.
   */
  redirectHttp?: boolean;
}

/** Global settings when HTTPS is on: TLS 1.2 at least. */
export function tlsGlobalLines(tls: HaproxyTlsOptions | undefined): string[] {
  return tls === undefined ? [] : ["  ssl-default-bind-options ssl-min-ver TLSv1.2"];
}

/** The HTTPS bind (ALPN h2 and HTTP/1.1, strict SNI) and X-Forwarded-Proto on both binds. */
export function tlsBindLines(tls: HaproxyTlsOptions | undefined, bindAddress: string): string[] {
  if (tls === undefined) return [];
  return [
    `  bind ${tls.bindAddress ?? bindAddress}:${tls.httpsPort} ssl crt-list ${tls.crtList} strict-sni alpn h2,http/1.1`,
    "  http-request set-header X-Forwarded-Proto https if { ssl_fc }",
    "  http-request set-header X-Forwarded-Proto http if !{ ssl_fc }",
  ];
}

/** With `redirectHttp`: 308 to `https://<host>[:port]<uri>` for plain-HTTP requests. */
export function httpsRedirectLines(tls: HaproxyTlsOptions | undefined): string[] {
  if (tls?.redirectHttp !== true) return [];
  const port = tls.httpsPort === 443 ? "" : `:${tls.httpsPort}`;
  return [
    `  http-request redirect location https://%[req.hdr(host),field(1,:),lower]${port}%[url] code 308 if !{ ssl_fc }`,
  ];
}
