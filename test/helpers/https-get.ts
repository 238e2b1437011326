/**
 * One HTTPS GET through Slipway's router on 127.0.0.1 with SNI and Host set to `host`, trusting
 * only `ca` when given (else Node's default roots, which do not hold Slipway's local CA).
 */
import { request } from "node:https";
import type { TLSSocket } from "node:tls";

/** The answer and the certificate the router presented. */
export interface HttpsReply {
  status: number;
  body: string;
  /** `DNS:<host>` entries of the served certificate. */
  subjectAltName: string;
  serial: string;
}

/** GETs `path` over TLS from the router's HTTPS port as `host`; rejects on a handshake failure. */
export function httpsGet(
  port: number,
  host: string,
  options: { path?: string; ca?: string; headers?: Record<string, string> } = {},
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: options.path ?? "/",
        servername: host,
        headers: { host, ...options.headers },
        agent: false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate();
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            subjectAltName: cert.subjectaltname ?? "",
            serial: cert.serialNumber,
          }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from https://${host}:${port}`)));
    req.on("error", reject);
    req.end();
  });
}
