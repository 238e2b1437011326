/**
 * Build egress with real gVisor, a real network namespace per command and the real proxy (ADR
 * 0019): from inside a build sandbox, `npm install` from registry.npmjs.org and `pip download`
 * from PyPI work through the proxy, and the host's loopback and primary address, the builds
 * gateway's other ports, a registry's address without the proxy, and the proxy with a host off
 * the allowlist, an IP literal or another port all fail. Runs as root.
 */
import assert from "node:assert/strict";
import { lookup } from "node:dns/promises";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { SandboxOutcome } from "../src/build/index.js";
import { type BuildEgress, startBuildEgressOnPrefix } from "../src/main/build-egress.js";
import { createGvisorBuildSandbox } from "../src/main/build-sandbox.js";
import { DEFAULT_BUILD_EGRESS_ALLOW, type EgressDecision } from "../src/runtime/local/index.js";
import { sharedTestStack } from "./helpers/test-stack.js";

const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";
const CA = "/etc/ssl/slipway-build-ca.pem";
const prefix = `e${process.pid.toString(36)}`.slice(0, 6);

/** Runs in the sandbox: one line per probe, `name OPEN` or `name FAIL reason` / `name STATUS body`. */
const PROBE = `
import { connect } from "node:net";
import { request } from "node:http";
const [proxyHost, proxyPort] = new URL(process.env.HTTPS_PROXY).host.split(":");
const direct = (name, host, port) => new Promise((done) => {
  const s = connect({ host, port: Number(port), timeout: 3000 });
  s.once("connect", () => { console.log(name, "OPEN"); s.destroy(); done(); });
  s.once("timeout", () => { console.log(name, "FAIL timeout"); s.destroy(); done(); });
  s.once("error", (e) => { console.log(name, "FAIL", e.code); done(); });
});
const tunnel = (name, target) => new Promise((done) => {
  const req = request({ host: proxyHost, port: Number(proxyPort), method: "CONNECT", path: target });
  req.once("connect", (res, socket, head) => {
    console.log(name, res.statusCode, head.toString().trim()); socket.destroy(); done();
  });
  req.once("error", (e) => { console.log(name, "FAIL", e.code); done(); });
  req.end();
});
const [, , loopPort, hostIp, gateway, registryIp] = process.argv;
await direct("loopback", "127.0.0.1", loopPort);
await direct("host-ip", hostIp, loopPort);
await direct("gateway-other-port", gateway, loopPort);
await direct("registry-direct", registryIp, 443);
await tunnel("proxy-example", "example.com:443");
await tunnel("proxy-ip-literal", registryIp + ":443");
await tunnel("proxy-loopback", "127.0.0.1:" + loopPort);
await tunnel("proxy-port", "registry.npmjs.org:22");
await tunnel("proxy-npm", "registry.npmjs.org:443");
`;

describe("build egress (gVisor, builds network, proxy)", { timeout: 600_000 }, () => {
  let work = "";
  let rootfs = "";
  let egress: BuildEgress | undefined;
  let listener: Server | undefined;
  let listenerPort = 0;
  let accepted = 0;
  const decisions: EgressDecision[] = [];

  before(
    async () => {
      assert.equal(process.getuid?.(), 0, "the build egress test must run as root");
      work = await mkdtemp(join(tmpdir(), "slipway-egress-"));
      rootfs = (await sharedTestStack()).rootfs;
      egress = await startBuildEgressOnPrefix({
        prefix,
        allow: DEFAULT_BUILD_EGRESS_ALLOW,
        onDecision: (d) => decisions.push(d),
        clear: true,
      });
      // A host service on every address (loopback, the primary address, the builds gateway).
      listener = createServer((s) => {
        accepted++;
        s.destroy();
      }).listen(0, "0.0.0.0");
      await new Promise((r) => listener?.once("listening", r));
      const a = listener.address();
      listenerPort = typeof a === "object" && a !== null ? a.port : 0;
    },
    { timeout: 600_000 },
  );

  after(async () => {
    listener?.close();
    await egress?.stop();
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  async function inSandbox(dir: string, script: string, env: Record<string, string> = {}) {
    const out: string[] = [];
    const sandbox = createGvisorBuildSandbox({
      workDir: join(work, "sandboxes"),
      ...(egress === undefined ? {} : { egress }),
    });
    const outcome: SandboxOutcome = await sandbox({
      rootfs,
      args: ["sh", "-c", script],
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", ...env },
      cwd: "/work",
      mounts: [
        { source: dir, destination: "/work", readonly: false },
        { source: HOST_CA, destination: CA, readonly: true },
      ],
      tmpMiB: 256,
      memoryMiB: 1024,
      cpus: 1,
      timeoutMs: 240_000,
      network: "registries",
      onOutput: (_s, chunk) => out.push(chunk.toString()),
    });
    return { outcome, log: out.join("") };
  }

  it("runs npm install from registry.npmjs.org through the proxy", async () => {
    const dir = join(work, "npm");
    await mkdir(dir);
    await writeFile(join(dir, "package.json"), '{"name":"egress-probe","version":"1.0.0"}\n');
    const { outcome, log } = await inSandbox(
      dir,
      "npm --version && npm install --no-audit --no-fund is-number@7.0.0",
      { NODE_EXTRA_CA_CERTS: CA, npm_config_cafile: CA, npm_config_cache: "/tmp/npm" },
    );
    assert.equal(outcome.exitCode, 0, log);
    assert.ok(existsSync(join(dir, "node_modules/is-number/package.json")), log);
    assert.ok(decisions.some((d) => d.allowed && d.target === "registry.npmjs.org:443"));
  });

  it("runs pip download from PyPI through the proxy", async () => {
    const dir = join(work, "pip");
    await mkdir(dir);
    const { outcome, log } = await inSandbox(
      dir,
      "python3 -m pip --version && python3 -m pip download --no-deps --no-cache-dir --dest /work/wheels six==1.16.0",
      { PIP_CERT: CA, SSL_CERT_FILE: CA, PIP_DISABLE_PIP_VERSION_CHECK: "1" },
    );
    assert.equal(outcome.exitCode, 0, log);
    assert.deepEqual(await readdir(join(dir, "wheels")), ["six-1.16.0-py2.py3-none-any.whl"]);
    assert.ok(decisions.some((d) => d.allowed && d.target === "files.pythonhosted.org:443"));
  });

  it("runs go get from proxy.golang.org (checksum database through it too) through the proxy", async () => {
    const dir = join(work, "go");
    await mkdir(dir);
    const { outcome, log } = await inSandbox(
      dir,
      "go version && go mod init probe && go get rsc.io/quote@v1.5.2 && cat go.sum",
      { SSL_CERT_FILE: CA, GOPATH: "/tmp/go", GOCACHE: "/tmp/go-cache", GOFLAGS: "-modcacherw" },
    );
    assert.equal(outcome.exitCode, 0, log);
    assert.match(log, /^rsc\.io\/quote v1\.5\.2 h1:/m);
    assert.ok(decisions.some((d) => d.allowed && d.target === "proxy.golang.org:443"));
  });

  it("reaches nothing else: not the host, not the LAN, not a registry without the proxy", async () => {
    const dir = join(work, "probe");
    await mkdir(dir);
    await writeFile(join(dir, "probe.mjs"), PROBE);
    const hostIp = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === "IPv4" && !a.internal && !a.address.startsWith("10.89."));
    assert.ok(hostIp, "the host has a non-loopback IPv4 address");
    const registryIp = (await lookup("registry.npmjs.org", { family: 4 })).address;
    const gateway = new URL(egress?.proxyUrl ?? "").hostname;
    const { log } = await inSandbox(
      dir,
      `node /work/probe.mjs ${listenerPort} ${hostIp.address} ${gateway} ${registryIp}`,
    );
    process.stdout.write(`# probe log:\n${log.replace(/^/gm, "#   ")}\n`);
    const lines = new Map(
      log
        .trim()
        .split("\n")
        .map((l) => [l.split(" ")[0] ?? "", l.slice(l.indexOf(" ") + 1)]),
    );
    for (const name of ["loopback", "host-ip", "gateway-other-port", "registry-direct"])
      assert.match(lines.get(name) ?? "", /^FAIL /, `${name}: ${log}`);
    assert.match(
      lines.get("proxy-example") ?? "",
      /^403 slipway build egress: example\.com is not an allowed package registry \(builds may reach only: registry\.npmjs\.org, /,
    );
    assert.match(lines.get("proxy-ip-literal") ?? "", /^403 .*is not an allowed package registry/);
    assert.match(lines.get("proxy-loopback") ?? "", /^403 .*127\.0\.0\.1 is not an allowed package registry/);
    assert.match(lines.get("proxy-port") ?? "", /^403 .*port 22 of registry\.npmjs\.org is not allowed/);
    assert.match(lines.get("proxy-npm") ?? "", /^200/, "the proxy itself is reachable");
    assert.equal(accepted, 0, "no connection reached the host's listener");
    assert.ok(decisions.some((d) => !d.allowed && d.target === "example.com:443"));
  });

  it("refuses registries requests when the sandbox has no egress network", async () => {
    const sandbox = createGvisorBuildSandbox({ workDir: join(work, "sandboxes") });
    await assert.rejects(
      sandbox({
        rootfs,
        args: ["true"],
        env: {},
        cwd: "/",
        mounts: [],
        tmpMiB: 16,
        memoryMiB: 128,
        cpus: 1,
        timeoutMs: 10_000,
        network: "registries",
        onOutput: () => {},
      }),
      /no egress network/,
    );
  });
});
