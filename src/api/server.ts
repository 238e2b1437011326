/**
 * Serves an API app over HTTP with @hono/node-server.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";

/** Options of `startApiServer`. */
export interface StartApiServerOptions {
  /** The app from `createApi`. */
  app: Pick<Hono, "fetch">;
  /** The address to listen on, e.g. `127.0.0.1`. */
  host: string;
  /** The port; 0 picks a free one (read it from `url`). */
  port: number;
}

/** A running server. */
export interface ApiServer {
  /** `http://<host>:<port>` with the port actually bound. */
  url: string;
  /** Stops accepting connections, ends open ones (watch streams included) and resolves when closed. */
  close(): Promise<void>;
}

/** Starts listening; resolves once the port is bound. */
export function startApiServer(options: StartApiServerOptions): Promise<ApiServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: options.app.fetch, hostname: options.host, port: options.port },
      (info: AddressInfo) => {
        const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${host}:${info.port}`,
          close: () =>
            new Promise<void>((done, fail) => {
              server.close((err) => (err === undefined ? done() : fail(err)));
              if ("closeAllConnections" in server) server.closeAllConnections();
            }),
        });
      },
    );
    server.once("error", reject);
  });
}
