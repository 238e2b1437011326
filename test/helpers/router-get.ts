/**
 * One GET through Slipway's router on 127.0.0.1 with a chosen Host header (`<app>.localhost:<port>`
 * needs no DNS); a connection error is status 0.
 */
import { request } from "node:http";

/** The router's own answer for a host no app is routed at. */
export const NOT_ROUTED = "No app is routed here.\n";

/** GETs `path` from the router on `port` as `host`. */
export function getViaRouter(
  port: number,
  host: string,
  path = "/",
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end();
  });
}
