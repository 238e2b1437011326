/**
 * `GET /metrics` (ADR 0022): Slipway's metrics in the Prometheus text format, for the admin token
 * only — the numbers name every team's apps and their traffic. Prometheus sends the token with
 * `authorization: { credentials_file: ... }`.
 */
import type { Context } from "hono";
import { SlipwayError } from "../resources/index.js";
import type { Store } from "../store/index.js";
import { authenticate } from "./auth.js";
import { errorResponse } from "./error-response.js";

/** Options of {@link metricsHandler}. */
export interface MetricsHandlerOptions {
  store: Store;
  /** Renders the registry (scrapes what it reads from). */
  render: () => Promise<string>;
  contentType: string;
}

/** A Hono handler serving the metrics to a bearer token with admin rights; others get 401/403. */
export function metricsHandler(options: MetricsHandlerOptions): (c: Context) => Promise<Response> {
  return async (c) => {
    try {
      const principal = await authenticate(options.store, c.req.header("authorization"));
      if (!principal.admin)
        throw new SlipwayError(
          "permission_denied",
          "GET /metrics: needs the admin token (metrics cover every team)",
        );
      const body = await options.render();
      return new Response(body, { headers: { "content-type": options.contentType } });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
