/**
 * A real ACME server for tests: Pebble (Let's Encrypt's test CA) and pebble-challtestsrv as its
 * DNS server, both built from Go modules by scripts/build-pebble.sh and started on loopback with
 * their own config in a temp folder. Pebble validates HTTP-01 for real: it resolves the host
 * through challtestsrv (every name -> 127.0.0.1 unless told otherwise) and fetches
 * `http://<host>:<httpPort>/.well-known/acme-challenge/<token>`.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { issueCertificate, loadOrCreateCa } from "../../src/router/index.js";
import { freePort } from "./haproxy.js";
import { waitFor } from "./wait-for.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../../scripts/build-pebble.sh", import.meta.url));

/** Builds (or reuses) Pebble and returns the folder holding `pebble` and `pebble-challtestsrv`. */
export async function buildPebble(): Promise<string> {
  const { stdout } = await run("bash", [script], { maxBuffer: 1 << 20, timeout: 600_000 });
  return stdout.trim().split("\n").at(-1) ?? "";
}

/** A running Pebble and its DNS server. */
export interface TestPebble {
  /** `https://localhost:<port>/dir`. */
  directoryUrl: string;
  /** The root Pebble's own HTTPS listeners use (not the root it issues under). */
  tlsCaPem: string;
  /** Pebble's issuing root (PEM) from its management API; it changes on every start. */
  issuingRoot(): Promise<string>;
  /** Makes challtestsrv answer A queries for `host` with `address` instead of 127.0.0.1. */
  setAddress(host: string, address: string): Promise<void>;
  /** What the processes wrote (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Options of {@link startPebble}. */
export interface PebbleOptions {
  binDir: string;
  /** A folder the test owns (config and Pebble's TLS key go there). */
  dir: string;
  /** The port Pebble's validator connects to for HTTP-01 (the router's HTTP port). */
  httpPort: number;
}

/** Starts challtestsrv and Pebble and waits until Pebble's directory answers. */
export async function startPebble(o: PebbleOptions): Promise<TestPebble> {
  const acmePort = await freePort();
  const mgmtPort = await freePort();
  const dnsPort = await freePort();
  const dnsMgmtPort = await freePort();
  // Pebble's own HTTPS certificate comes from Slipway's local CA (SAN localhost).
  const ca = await loadOrCreateCa(join(o.dir, "pebble-tls-ca"));
  const leaf = await issueCertificate(ca, "localhost");
  await writeFile(join(o.dir, "pebble-cert.pem"), leaf.certPem);
  await writeFile(join(o.dir, "pebble-key.pem"), leaf.keyPem, { mode: 0o600 });
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: join(o.dir, "pebble-cert.pem"),
      privateKey: join(o.dir, "pebble-key.pem"),
      httpPort: o.httpPort,
      tlsPort: o.httpPort, // unused: only http-01 is answered
      ocspResponderURL: "",
      externalAccountBindingRequired: false,
      domainBlocklist: ["blocked-domain.example"],
      retryAfter: { authz: 1, order: 1 },
      keyAlgorithm: "ecdsa",
      profiles: { default: { description: "test", validityPeriod: 7_776_000 } },
    },
  };
  await writeFile(join(o.dir, "pebble-config.json"), JSON.stringify(config, null, 2));
  let output = "";
  const procs: ChildProcess[] = [];
  const start = (bin: string, args: string[], env: Record<string, string>) => {
    const p = spawn(join(o.binDir, bin), args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    const keep = (c: Buffer) => {
      output += c.toString();
    };
    p.stdout?.on("data", keep);
    p.stderr?.on("data", keep);
    p.on("error", (err) => {
      output += `${bin}: ${err.message}\n`;
    });
    procs.push(p);
  };
  // No AAAA answers: HAProxy listens on 127.0.0.1 only.
  start(
    "pebble-challtestsrv",
    [
      "-dnsserver",
      `127.0.0.1:${dnsPort}`,
      "-management",
      `127.0.0.1:${dnsMgmtPort}`,
      "-defaultIPv4",
      "127.0.0.1",
      "-defaultIPv6",
      "",
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-doh",
      "",
    ],
    {},
  );
  start("pebble", ["-config", join(o.dir, "pebble-config.json"), "-dnsserver", `127.0.0.1:${dnsPort}`], {
    // Validate at once instead of sleeping up to 15 s; no random badNonce rejections; a second
    // order for a host validates again instead of reusing the valid authorization.
    PEBBLE_VA_NOSLEEP: "1",
    PEBBLE_WFE_NONCEREJECT: "0",
    PEBBLE_AUTHZREUSE: "0",
  });
  const stop = async () => {
    await Promise.all(
      procs.map(async (p) => {
        if (p.exitCode !== null || p.signalCode !== null) return;
        p.kill("SIGTERM");
        await once(p, "exit");
      }),
    );
  };
  const get = (port: number, path: string) => fetchTls(port, path, ca.certPem);
  const dnsApi = (path: string, body: unknown) => postJson(dnsMgmtPort, path, body);
  let lastError = "";
  try {
    const answers = (p: Promise<unknown>) =>
      p.then(
        () => true,
        (err: Error) => {
          lastError = err.message;
          return false;
        },
      );
    await waitFor(
      async () =>
        (await answers(get(acmePort, "/dir"))) &&
        (await answers(dnsApi("/set-default-ipv4", { ip: "127.0.0.1" }))),
      20_000,
      "pebble's directory and challtestsrv's management API",
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message} (last error: ${lastError}); output: ${output}`);
  }
  return {
    directoryUrl: `https://localhost:${acmePort}/dir`,
    tlsCaPem: ca.certPem,
    issuingRoot: async () => String(await get(mgmtPort, "/roots/0")),
    setAddress: (host, address) => dnsApi("/add-a", { host, addresses: [address] }),
    output: () => output,
    stop,
  };
}

/** GET over HTTPS trusting only `ca`; resolves with the body, rejects on a non-200. */
function fetchTls(port: number, path: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = { "user-agent": "slipway-test" }; // Pebble refuses requests without one (RFC 8555 §6.1)
    const req = httpsRequest({ host: "localhost", port, path, ca, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${path}: ${res.statusCode}`)),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

function postJson(port: number, path: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: "POST" }, (res) => {
      res.resume();
      res.on("end", () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`POST ${path}: ${res.statusCode}`)),
      );
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}
