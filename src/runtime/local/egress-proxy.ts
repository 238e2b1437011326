/**
 * The build egress proxy (ADR 0019): an HTTP proxy that only opens CONNECT tunnels to allowlisted
 * host names on allowed ports (443), so that TLS stays end to end between the build and the
 * registry. The proxy resolves the name itself and connects only to addresses outside the
 * blocked ranges (loopback, private, link-local, the host's own subnets), so a name that resolves
 * to the host or the LAN (DNS rebinding) is refused too. Everything else gets a 403 that names the
 * host and the allowlist.
 */
import { lookup } from "node:dns/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { BlockList, connect, isIPv4, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import type { Duplex } from "node:stream";
import { type EgressAllowlist, parseConnectTarget } from "./egress-allowlist.js";

/** One decision of the proxy, for logs and tests. */
export interface EgressDecision {
  /** The CONNECT target as the client sent it (or the request line for other methods). */
  target: string;
  allowed: boolean;
  /** Why it was refused or failed. */
  reason?: string;
}

/** Options of {@link startEgressProxy}. */
export interface EgressProxyOptions {
  /** Address to listen on (e.g. the builds bridge's gateway). */
  host: string;
  /** Default 0 (a free port). */
  port?: number;
  allow: EgressAllowlist;
  /** Ports a tunnel may go to; default [443]. */
  ports?: readonly number[];
  /** Default: the system resolver (all addresses). */
  resolve?: (host: string) => Promise<string[]>;
  /** Addresses never connected to; default {@link defaultBlockedAddresses}. */
  blocked?: BlockList;
  /** How long connecting upstream may take; default 10000. */
  connectTimeoutMs?: number;
  onDecision?: (decision: EgressDecision) => void;
}

/** A running proxy. */
export interface EgressProxy {
  host: string;
  port: number;
  /** `http://host:port`, for HTTPS_PROXY and friends. */
  url: string;
  /** Stops listening and cuts every open tunnel. */
  close(): Promise<void>;
}

/**
 * Loopback, unspecified, private (RFC 1918, ULA), shared (100.64/10), link-local, multicast and
 * reserved ranges, plus every subnet the host has an address in (its LAN even when public).
 */
export function defaultBlockedAddresses(): BlockList {
  const list = new BlockList();
  const v4: [string, number][] = [
    ["0.0.0.0", 8],
    ["10.0.0.0", 8],
    ["100.64.0.0", 10],
    ["127.0.0.0", 8],
    ["169.254.0.0", 16],
    ["172.16.0.0", 12],
    ["192.168.0.0", 16],
    ["224.0.0.0", 3],
  ];
  for (const [net, bits] of v4) list.addSubnet(net, bits, "ipv4");
  const v6: [string, number][] = [
    ["::", 127],
    ["fc00::", 7],
    ["fe80::", 10],
    ["ff00::", 8],
  ];
  for (const [net, bits] of v6) list.addSubnet(net, bits, "ipv6");
  for (const addresses of Object.values(networkInterfaces()))
    for (const a of addresses ?? []) {
      const bits = Number(a.cidr?.split("/")[1] ?? (a.family === "IPv4" ? 32 : 128));
      list.addSubnet(a.address, bits, a.family === "IPv4" ? "ipv4" : "ipv6");
    }
  return list;
}

/** An open tunnel without traffic for this long is closed. */
const IDLE_TIMEOUT_MS = 5 * 60_000;

/** Starts the proxy; resolves once it listens. */
export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const ports = options.ports ?? [443];
  const blocked = options.blocked ?? defaultBlockedAddresses();
  const resolve =
    options.resolve ??
    (async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address));
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const open = new Set<Duplex>();
  const decide = (d: EgressDecision) => options.onDecision?.(d);
  const listText = options.allow.entries.join(", ");

  const refuse = (socket: Duplex, status: string, target: string, reason: string) => {
    decide({ target, allowed: false, reason });
    const body = `slipway build egress: ${reason}\n`;
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  const onConnect = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
    const raw = req.url ?? "";
    const target = parseConnectTarget(raw);
    if (target === undefined)
      return refuse(socket, "400 Bad Request", raw, `${JSON.stringify(raw)} is not host:port`);
    if (!options.allow.allows(target.host))
      return refuse(
        socket,
        "403 Forbidden",
        raw,
        `${target.host} is not an allowed package registry (builds may reach only: ${listText}; the server's --build-egress-allow adds hosts)`,
      );
    if (!ports.includes(target.port))
      return refuse(
        socket,
        "403 Forbidden",
        raw,
        `port ${target.port} of ${target.host} is not allowed (only ${ports.join(", ")})`,
      );
    let addresses: string[];
    try {
      addresses = await resolve(target.host);
    } catch (err) {
      return refuse(socket, "502 Bad Gateway", raw, `${target.host} cannot be resolved: ${String(err)}`);
    }
    const usable = addresses.filter((a) => !blocked.check(a, isIPv4(a) ? "ipv4" : "ipv6"));
    const address = usable[0];
    if (address === undefined)
      return refuse(
        socket,
        "403 Forbidden",
        raw,
        `${target.host} resolves only to addresses builds may not reach (${addresses.join(", ") || "none"})`,
      );
    const upstream: Socket = connect({ host: address, port: target.port, timeout: timeoutMs });
    let established = false;
    open.add(upstream);
    // A side that closed ends the other one gracefully: destroying it could drop bytes still
    // buffered towards its peer (the end of a tarball). Errors and idleness destroy both.
    upstream.on("close", () => {
      open.delete(upstream);
      if (established && !socket.writableEnded) socket.end();
    });
    socket.on("close", () => {
      if (!upstream.writableEnded) upstream.end();
    });
    upstream.on("timeout", () => upstream.destroy(new Error(`no traffic within ${timeoutMs} ms`)));
    upstream.on("error", (err) => {
      if (established) socket.destroy();
      else
        refuse(
          socket,
          "502 Bad Gateway",
          raw,
          `${target.host} (${address}) cannot be reached: ${err.message}`,
        );
    });
    socket.on("error", () => upstream.destroy());
    upstream.once("connect", () => {
      established = true;
      // Tunnels may idle (keep-alive between requests); one idle for long is dropped.
      upstream.setTimeout(IDLE_TIMEOUT_MS);
      decide({ target: raw, allowed: true });
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const target = `${req.method ?? "?"} ${req.url ?? ""}`;
    const reason = `only HTTPS through CONNECT is allowed, not ${target} (builds may reach only: ${listText})`;
    decide({ target, allowed: false, reason });
    res.writeHead(403, { "Content-Type": "text/plain", Connection: "close" });
    res.end(`slipway build egress: ${reason}\n`);
  };

  const server = createServer(onRequest);
  server.on("connect", (req, socket, head) => void onConnect(req, socket, head));
  server.on("connection", (s) => {
    open.add(s);
    s.on("close", () => open.delete(s));
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, options.host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const hostInUrl = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    host: options.host,
    port,
    url: `http://${hostInUrl}:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        for (const s of open) s.destroy();
      }),
  };
}
