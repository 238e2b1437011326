/**
 * The HTTP-01 side of ACME (RFC 8555 §8.3): a store of pending challenge tokens and a tiny HTTP
 * server on loopback that answers `GET /.well-known/acme-challenge/<token>` with the key
 * authorization. HAProxy sends that path, on any host, here before app routing (see
 * acme-config.ts). Node sits on this path only while a certificate is being issued, which is
 * rare, so it is not on the hot path of app traffic.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The path prefix HTTP-01 validation requests use. */
export const ACME_CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

/** Pending HTTP-01 tokens (token -> key authorization) while their orders are validated. */
export class AcmeChallengeStore {
  readonly #answers = new Map<string, string>();

  /** Makes `token` answerable with `keyAuthorization` until {@link delete}. */
  set(token: string, keyAuthorization: string): void {
    this.#answers.set(token, keyAuthorization);
  }

  /** Forgets `token` (after validation, whatever its outcome). */
  delete(token: string): void {
    this.#answers.delete(token);
  }

  /** The key authorization for `token`, or undefined when none is pending. */
  get(token: string): string | undefined {
    return this.#answers.get(token);
  }

  /** How many tokens are pending (tests check that none is left behind). */
  get size(): number {
    return this.#answers.size;
  }
}

/** One request the responder got (for logs: who asked for which host's token, and the outcome). */
export interface ChallengeRequest {
  /** The Host header (the domain being validated, with HAProxy's port if any). */
  host: string;
  token: string;
  answered: boolean;
  /** The client as HAProxy saw it (the CA's validator), when the request came through HAProxy. */
  forwardedFor?: string;
}

/**
 * The request handler of the responder: 200 with the key authorization (text/plain) for a pending
 * token, 404 otherwise. Usable in any node:http server. `onRequest` sees every request.
 */
export function acmeChallengeHandler(
  store: AcmeChallengeStore,
  onRequest?: (seen: ChallengeRequest) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    const token = path.startsWith(ACME_CHALLENGE_PREFIX) ? path.slice(ACME_CHALLENGE_PREFIX.length) : "";
    const answer = req.method === "GET" || req.method === "HEAD" ? store.get(token) : undefined;
    const forwardedFor = req.headers["x-forwarded-for"];
    onRequest?.({
      host: req.headers.host ?? "",
      token,
      answered: answer !== undefined,
      ...(typeof forwardedFor === "string" ? { forwardedFor } : {}),
    });
    if (answer === undefined) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("No such ACME challenge.\n");
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" }).end(answer);
  };
}

/** A running responder. */
export interface AcmeChallengeResponder {
  /** The address HAProxy's challenge backend forwards to. */
  addr: string;
  port: number;
  close(): Promise<void>;
}

/** Options of {@link startAcmeChallengeResponder}. */
export interface AcmeChallengeResponderOptions {
  store: AcmeChallengeStore;
  /** Address to listen on. Default `127.0.0.1` (only HAProxy talks to it). */
  host?: string;
  /** Port. Default 0 (any free port; read it from the result). */
  port?: number;
  /** Called for every request (logging). */
  onRequest?: (seen: ChallengeRequest) => void;
}

/** Starts the responder and resolves once it listens. */
export async function startAcmeChallengeResponder(
  o: AcmeChallengeResponderOptions,
): Promise<AcmeChallengeResponder> {
  const server = createServer(acmeChallengeHandler(o.store, o.onRequest));
  server.listen(o.port ?? 0, o.host ?? "127.0.0.1");
  await once(server, "listening");
  const { address, port } = server.address() as AddressInfo;
  return {
    addr: address,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
