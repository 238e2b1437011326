/**
 * The sandbox fallback through the real binaries (ADR 0027): `slipway server --sandbox-runtime
 * bwrap` runs an app (the isolation probe from inline files) in bubblewrap, answering through
 * HAProxy, and says loudly that apps are not isolated by gVisor: on stderr at start, in
 * `GET /v1/node`, and in `slipway doctor`. The doctor's FAIL path (no haproxy, no nft on PATH)
 * exits 1. Needs root.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "../src/api/index.js";
import { deployProbe } from "./helpers/probe-app.js";
import { getViaRouter } from "./helpers/router-get.js";
import { type ServerProcess, slipway, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const APP = `fallback${process.pid}`;

describe("slipway server --sandbox-runtime bwrap", { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-fallback-"));
  const dataDir = join(dir, "data");
  let server: ServerProcess | undefined;
  let client: Client;
  let token = "";

  before(async () => {
    assert.equal(process.getuid?.(), 0, "app networks and cgroups need root");
    await sharedTestStack();
    server = await startServer(dataDir, ["--stacks-dir", TEST_STACK_ROOT, "--sandbox-runtime", "bwrap"]);
    token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
    client = createClient({ baseUrl: server.url, token });
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("warns on stderr at start that apps are not isolated by gVisor", () => {
    const stderr = server?.stderr() ?? "";
    assert.match(stderr, /WARNING: apps on this node are NOT isolated by gVisor \(sandbox runtime: bwrap\)/);
    assert.match(stderr, /WARNING: .*host kernel/);
    assert.match(stderr, /WARNING: bwrap was chosen with --sandbox-runtime/);
  });

  it("reports the runtime and its warnings in GET /v1/node", async () => {
    const node = await client.getNode({});
    assert.equal(node.sandbox.runtime, "bwrap");
    assert.equal(node.sandbox.isolated, false);
    assert.equal(node.sandbox.forced, true);
    assert.match(node.sandbox.warnings.join("\n"), /not gVisor.*host kernel/);
    const anonymous = await fetch(`${server?.url}/v1/node`);
    assert.equal(anonymous.status, 401, "the node status needs a token");
  });

  it("deploys an app that answers through HAProxy, in bubblewrap's namespaces", async () => {
    const d = await deployProbe(client, APP);
    assert.equal(d.phase, "ACTIVE", JSON.stringify(d.progress));
    const port = server?.httpPort ?? 0;
    await waitFor(
      async () => (await getViaRouter(port, `${APP}.localhost`, "/")).body.startsWith("probe"),
      60_000,
      "the app through the router",
    );
    const ps = JSON.parse((await getViaRouter(port, `${APP}.localhost`, "/try?what=ps")).body) as {
      processes: { pid: number; cmd: string }[];
    };
    assert.ok(ps.processes.length < 10, `its own pid namespace: ${JSON.stringify(ps.processes)}`);
    assert.ok(!ps.processes.some((p) => /slipway|haproxy/.test(p.cmd)), JSON.stringify(ps.processes));
    const token = JSON.parse(
      (await getViaRouter(port, `${APP}.localhost`, `/try?what=read&path=${join(dataDir, "admin-token")}`))
        .body,
    ) as { ok: boolean; error?: string };
    assert.deepEqual(token, { ok: false, error: "ENOENT" }, "the host's files are not there");
  });

  it("slipway doctor prints WARN lines for the node's fallback and exits 0", async () => {
    const run = await slipway(["doctor", "--data-dir", dataDir, "--url", server?.url ?? ""], {
      SLIPWAY_TOKEN: token,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^OK {3}runsc: gVisor \S+ runs sandboxes$/m);
    assert.match(run.stdout, /^OK {3}bwrap: bubblewrap runs sandboxes/m);
    assert.match(run.stdout, /^OK {3}haproxy: HAProxy version/m);
    assert.match(run.stdout, /^OK {3}nft: nftables/m);
    assert.match(run.stdout, /^(OK|WARN) cgroup: cgroup v[12]/m);
    assert.match(run.stdout, /^OK {3}data dir: .* \(mode 700\)$/m);
    assert.match(run.stdout, /^WARN server: http:\S+ runs apps in bwrap: NOT isolated by gVisor$/m);
    assert.match(run.stdout, /^WARN server: .*host kernel/m);
    assert.match(run.stdout, /^0 failed, \d+ warnings, \d+ ok$/m);
  });

  it("slipway doctor FAILs, exit 1, when haproxy and nft are missing", async () => {
    // A PATH with nothing on it: none of the tools is found (the binary is run by absolute path).
    const run = await slipway(["doctor", "--data-dir", join(dir, "nowhere"), "--url", "http://127.0.0.1:1"], {
      PATH: join(dir, "empty-bin"),
    });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^WARN runsc: gVisor cannot run here/m);
    assert.match(run.stdout, /^FAIL haproxy: haproxy -v failed .*apt-get install haproxy/m);
    assert.match(run.stdout, /^FAIL nft: /m);
    assert.match(run.stdout, /^WARN data dir: .* does not exist yet/m);
    assert.match(run.stdout, /^WARN server: not reachable at http:\/\/127\.0\.0\.1:1/m);
    assert.match(run.stdout, /^2 failed, /m);
  });
});
