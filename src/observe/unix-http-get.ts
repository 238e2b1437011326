/**
 * One HTTP GET over a UNIX socket (HAProxy's metrics socket, ADR 0022).
 */
import { request } from "node:http";

/**
 * GETs `path` from the HTTP server on the UNIX socket `socketPath` and resolves with the body of a
 * 200 answer. Rejects on another status, a socket error, or no complete answer within `timeoutMs`
 * (default 5000).
 */
export function unixHttpGet(socketPath: string, path: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, headers: { host: "localhost" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () =>
        res.statusCode === 200
          ? resolve(body)
          : reject(new Error(`GET ${path} on ${socketPath}: status ${res.statusCode}`)),
      );
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`GET ${path} on ${socketPath}: no answer in ${timeoutMs} ms`)),
    );
    req.on("error", reject);
    req.end();
  });
}
