/**
 * Benchmark: the local CA and the data plane's TLS/JWT costs on a real HAProxy 2.6. CA creation,
 * certificate issuance (p50/p99), loading N certificates into a running HAProxy through the
 * runtime API and renewing them (ms per certificate, worker PID unchanged), and request latency
 * (p50/p99, keep-alive) to a plain vs a JWT-protected backend, interleaved.
 * Writes bench/results/router-tls.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import {
  type CertStore,
  issueCertificate,
  jwkToKey,
  loadOrCreateCa,
  renderHaproxyConfig,
  routeTable,
  syncCertificates,
  writeJwtKeys,
} from "../src/router/index.js";
import { type AppSpec, normalize } from "../src/spec/index.js";
import { freePort, startEcho, startHaproxy } from "../test/helpers/haproxy.js";
import { repoRoot } from "../test/helpers/repo-root.js";

const HOSTS = 50;
const REQUESTS = 500;

function quantiles(xs: number[]): { p50: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => Number((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0).toFixed(3));
  return { p50: at(0.5), p99: at(0.99) };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const dir = await mkdtemp(join(tmpdir(), `slipway-bench-tls-${process.pid}-`));
const echo = await startEcho("app");
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
try {
  let ca = await loadOrCreateCa(join(dir, "ca-probe"));
  const caCreateMs = await timed(async () => {
    ca = await loadOrCreateCa(join(dir, "ca"));
  });
  const issue: number[] = [];
  for (let i = 0; i < 100; i++) issue.push(await timed(() => issueCertificate(ca, `h${i}.localhost`)));

  const issuer = "http://127.0.0.1:1";
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
  const key = jwkToKey(jwk);
  if (typeof key === "string") throw new Error(key);
  const { keys } = await writeJwtKeys(join(dir, "keys"), [
    { issuer, jwksUri: "", keys: [key], skipped: [], fetchedAt: 0 },
  ]);
  const apps = Array.from({ length: HOSTS }, (_, i): { name: string; spec: AppSpec } => ({
    name: `app${i}`,
    spec: normalize({
      name: `app${i}`,
      services: [
        i === 0
          ? { name: "web", http_port: 1, slipway_auth: { issuer, audiences: ["bench"], scopes: ["read"] } }
          : { name: "web", http_port: 1 },
      ],
    }),
  }));
  const table = routeTable(apps);
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const statsSocket = join(dir, "haproxy.sock");
  await mkdir(join(dir, "certs"), { mode: 0o700 });
  const crtList = join(dir, "crt-list.txt");
  await writeFile(crtList, "");
  const rendered = renderHaproxyConfig(table, {
    httpPort,
    statsSocket,
    mapDir: dir,
    slots: 1,
    spareBackends: 0,
    tls: { httpsPort, crtList },
    jwtKeys: keys,
  });
  for (const [name, text] of Object.entries(rendered.maps)) await writeFile(join(dir, name), text);
  await writeFile(join(dir, "haproxy.cfg"), rendered.config);
  const haproxy = await startHaproxy(join(dir, "haproxy.cfg"), statsSocket);
  try {
    for (const app of ["app0", "app1"]) {
      await haproxy.api.setServer(`${app}__web`, 1, "127.0.0.1", echo.port);
      await haproxy.api.enableServer(`${app}__web`, 1);
    }
    const store: CertStore = { certDir: join(dir, "certs"), crtList, api: haproxy.api };
    const pid = await haproxy.workerPid();
    const loadMs = await timed(() => syncCertificates(store, ca, table));
    const renewMs = await timed(() => syncCertificates(store, ca, table, { renewBeforeMs: 31 * 86_400_000 }));
    const samePid = (await haproxy.workerPid()) === pid;

    const token = await new SignJWT({
      iss: issuer,
      aud: "bench",
      scope: "read",
      exp: Math.floor(Date.now() / 1000) + 3600,
    })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .sign(privateKey);
    const get = (host: string, auth?: string) =>
      new Promise<number>((resolve, reject) => {
        const headers: Record<string, string> = {
          host,
          ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        };
        const req = request({ host: "127.0.0.1", port: httpPort, path: "/", headers, agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end();
      });
    const plain: number[] = [];
    const guarded: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      plain.push(
        await timed(async () => (await get("app1.localhost")) === 200 || Promise.reject(new Error("plain"))),
      );
      guarded.push(
        await timed(
          async () => (await get("app0.localhost", token)) === 200 || Promise.reject(new Error("jwt")),
        ),
      );
    }
    const result = {
      when: new Date().toISOString(),
      haproxy: "2.6.12",
      caCreateMs: Number(caCreateMs.toFixed(2)),
      issueCertificateMs: quantiles(issue),
      runtimeApi: {
        hosts: HOSTS,
        loadMsPerCertificate: Number((loadMs / HOSTS).toFixed(2)),
        renewMsPerCertificate: Number((renewMs / HOSTS).toFixed(2)),
        sameWorkerPid: samePid,
      },
      requestMs: { requests: REQUESTS, plain: quantiles(plain), jwtEs256: quantiles(guarded) },
    };
    const out = join(repoRoot(), "bench", "results");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "router-tls.json"), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await haproxy.stop();
  }
} finally {
  agent.destroy();
  await new Promise((resolve) => echo.server.close(resolve));
  await rm(dir, { recursive: true, force: true });
}
