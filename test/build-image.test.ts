/**
 * Image builds and pulls with the real tools: buildah (RUN steps in runsc), skopeo, umoci and a
 * docker-registry on loopback holding the stack image, all offline.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
  type BuildEnv,
  BuildError,
  type BuildStackResult,
  buildDockerfile,
  type DockerfileNetwork,
  type ImageResult,
  pullImage,
} from "../src/build/index.js";
import { startBuildEgressOnPrefix } from "../src/main/build-egress.js";
import { SlipwayError } from "../src/resources/index.js";
import {
  DEFAULT_BUILD_EGRESS_ALLOW,
  releaseRunscRoots,
  renderOciSpec,
  startSandbox,
} from "../src/runtime/local/index.js";
import {
  pushTreeImage,
  registryDigest,
  type StackRegistry,
  startStackRegistry,
} from "./helpers/oci-registry.js";
import { repoRoot } from "./helpers/repo-root.js";
import { sharedTestStack } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const exec = promisify(execFile);
const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";

/** Runs in a RUN step: one line per probe, `name OPEN|FAIL reason|STATUS`. */
const EGRESS_PROBE = `
import { connect } from "node:net";
import { request } from "node:http";
const proxy = new URL(process.env.HTTPS_PROXY);
const direct = (name, host, port) => new Promise((done) => {
  const s = connect({ host, port: Number(port), timeout: 3000 });
  s.once("connect", () => { console.log(name, "OPEN"); s.destroy(); done(); });
  s.once("timeout", () => { console.log(name, "FAIL timeout"); s.destroy(); done(); });
  s.once("error", (e) => { console.log(name, "FAIL", e.code); done(); });
});
const [, , port, hostIp] = process.argv;
await direct("loopback", "127.0.0.1", port);
await direct("host-ip", hostIp, port);
await new Promise((done) => {
  const req = request({ host: proxy.hostname, port: Number(proxy.port), method: "CONNECT", path: "example.com:443" });
  req.once("connect", (res, socket) => { console.log("proxy-example", res.statusCode); socket.destroy(); done(); });
  req.once("error", (e) => { console.log("proxy-example", "FAIL", e.code); done(); });
  req.end();
});
`;
const say = (text: string) => process.stdout.write(`# ${text}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe("image builds and pulls", { timeout: 900_000 }, () => {
  let work: string;
  let stack: BuildStackResult;
  let registry: StackRegistry;
  let countFile: string;
  let buildahPath: string;
  const logs: string[] = [];

  before(async () => {
    stack = await sharedTestStack();
    // /var/tmp, not a tmpfs /tmp: a rootfs is ~1 GB, and artifacts are renamed from the work dir.
    work = await mkdtemp(`/var/tmp/slipway-image-test-${process.pid}-`);
    registry = await startStackRegistry(stack, work);
    say(`stack image in the registry (${registry.seed.source}): ${secs(registry.seed.ms)}`);
    countFile = join(work, "buildah-calls");
    buildahPath = join(work, "buildah-counting");
    await writeFile(buildahPath, `#!/bin/sh\necho "$*" >> '${countFile}'\nexec buildah "$@"\n`);
    await chmod(buildahPath, 0o755);
    // Two small busybox images: pull sources, and a quick base for the RUN-step tests (a stack
    // base costs a 1 GB copy per build with vfs). Their /etc/shadow is nobody's real one.
    const started = performance.now();
    const trees = join(work, "trees");
    for (const n of ["one", "two"]) {
      await mkdir(join(trees, n, "bin"), { recursive: true });
      await mkdir(join(trees, n, "etc"), { recursive: true });
      await exec("cp", ["/bin/busybox", join(trees, n, "bin/busybox")]);
      for (const applet of ["sh", "echo", "cp", "cat", "sleep"])
        await symlink("busybox", join(trees, n, "bin", applet));
      await writeFile(join(trees, n, "etc/shadow"), `root:tiny-image-${n}:20000:0:99999:7:::\n`);
      await writeFile(join(trees, n, "marker"), `${n}\n`);
    }
    await pushTreeImage(
      registry,
      work,
      join(trees, "one"),
      ["team/tiny:v1"],
      ["--cmd=/bin/busybox httpd -f"],
    );
    await pushTreeImage(registry, work, join(trees, "two"), ["team/tiny:v2"]);
    say(`two small images pushed: ${secs(performance.now() - started)}`);
  });

  after(async () => {
    await registry?.stop();
    if (work !== undefined) await releaseRunscRoots(work);
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const buildahCalls = async () =>
    (await readFile(countFile, "utf8").catch(() => "")).split("\n").filter((l) => l.startsWith("--root"))
      .length;

  const build = (
    sourceRoot: string,
    extra: { envs?: BuildEnv[]; dockerfilePath?: string; network?: DockerfileNetwork } = {},
  ) =>
    buildDockerfile({
      sourceRoot,
      artifactsRoot: join(work, "artifacts"),
      workRoot: join(work, "scratch"),
      storageRoot: join(work, "storage"),
      mirrors: { "docker.io": registry.url },
      tools: { buildah: buildahPath },
      limits: { timeoutMs: 600_000, memoryMiB: 1024, cpus: 1 },
      log: (line) => logs.push(line),
      ...extra,
    });

  const context = async (name: string, dockerfile: string): Promise<string> => {
    const dir = join(work, "src", name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "Dockerfile"), dockerfile);
    return dir;
  };

  let app: ImageResult;

  test("buildDockerfile builds examples/dockerfile-app into an image artifact that serves HTTP", async () => {
    const source = join(work, "src", "dockerfile-app");
    await cp(join(repoRoot(), "examples", "dockerfile-app"), source, { recursive: true });
    app = await build(source);
    say(`cold Dockerfile build (base image pulled into storage): ${secs(app.durationMs)}`);
    assert.equal(app.reused, false);
    assert.equal(app.metadata.format, "image");
    assert.equal(app.metadata.origin, "dockerfile");
    assert.deepEqual(app.metadata.cmd, ["node", "server.js"]);
    assert.equal(app.metadata.workingDir, "/app");
    assert.deepEqual(app.metadata.exposedPorts, ["8080/tcp"]);
    assert.match(app.metadata.imageDigest, /^sha256:[a-f0-9]{64}$/);
    say(`image artifact size: ${(app.metadata.sizeBytes / 1e6).toFixed(0)} MB`);
    assert.ok(
      logs.some((l) => l.includes("STEP")),
      "buildah's steps are logged",
    );

    const port = 20_000 + (process.pid % 20_000);
    const id = `img-${process.pid}`;
    const handle = await startSandbox({
      stateRoot: join(work, "runsc-state"),
      bundleDir: join(work, "bundle"),
      id,
      network: "host",
      timeoutMs: 120_000,
      spec: renderOciSpec({
        rootfs: app.rootfsDir,
        args: [...app.metadata.entrypoint, ...app.metadata.cmd],
        env: { ...app.metadata.env, PORT: String(port) },
        cwd: app.metadata.workingDir,
        tmpfs: [{ destination: "/tmp", sizeMiB: 16 }],
        hostNetwork: true,
        memoryMiB: 256,
        cpus: 1,
        pidsLimit: 512,
        cgroupsPath: `/${id}`,
      }),
    });
    try {
      let body = "";
      await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
          body = res === undefined ? "" : await res.text();
          return res?.ok === true;
        },
        60_000,
        `the image's node server.js on port ${port}`,
      );
      assert.equal(body, "Hello from a Dockerfile on Slipway\n");
    } finally {
      await handle.delete();
    }
  });

  test("a second build of unchanged input is a cache hit without any buildah call", async () => {
    const before = await buildahCalls();
    assert.ok(before > 0, "the first build ran buildah through the counting wrapper");
    const again = await build(join(work, "src", "dockerfile-app"));
    assert.equal(again.reused, true);
    assert.equal(again.metadata.id, app.metadata.id);
    assert.equal(await buildahCalls(), before);
  });

  test("build args reach RUN steps, SECRET values are masked, and RUN sees the image's /etc/shadow", async () => {
    const secret = `s3cr3t-${process.pid}`;
    const dir = await context(
      "args",
      [
        "FROM team/tiny:v1",
        "ARG GREETING",
        "ARG TOKEN",
        'RUN echo "greeting=$GREETING" > /greeting.txt && cp /etc/shadow /shadow-seen && echo "token=$TOKEN"',
        "",
      ].join("\n"),
    );
    logs.length = 0;
    const envs: BuildEnv[] = [
      { key: "GREETING", value: "hello-from-build-time", secret: false, runTime: false },
      { key: "TOKEN", value: secret, secret: true, runTime: true },
    ];
    const result = await build(dir, { envs });
    say(`build on a small base: ${secs(result.durationMs)}`);
    const root = result.rootfsDir;
    assert.equal(await readFile(join(root, "greeting.txt"), "utf8"), "greeting=hello-from-build-time\n");
    assert.ok(
      logs.includes("token=****"),
      `the RUN output is masked: ${logs.filter((l) => l.startsWith("token")).join(",")}`,
    );
    assert.ok(!logs.some((l) => l.includes(secret)), "no log line holds the secret");
    const seen = await readFile(join(root, "shadow-seen"), "utf8");
    assert.equal(seen, "root:tiny-image-one:20000:0:99999:7:::\n");
    assert.notEqual(seen, await readFile("/etc/shadow", "utf8"));
  });

  test("a failing RUN step fails the build with its exit and the log tail", async () => {
    const dir = await context(
      "fails",
      `FROM team/tiny:v1\nRUN echo about-to-fail-${process.pid} && exit 3\n`,
    );
    const err = await build(dir).then(
      () => assert.fail("the build succeeded"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BuildError, String(err));
    assert.equal(err.phase, "build");
    assert.match(err.message, /buildah bud of Dockerfile exited with code/);
    assert.match(err.message, new RegExp(`about-to-fail-${process.pid}`));
  });

  test("a cancelled build is killed, its RUN sandbox with it, and says so", async () => {
    const dir = await context("slow", `FROM team/tiny:v1\nRUN echo sleeping-${process.pid} && sleep 600\n`);
    logs.length = 0;
    const cancel = new AbortController();
    const marker = `sleeping-${process.pid}`;
    const err = await buildDockerfile({
      sourceRoot: dir,
      artifactsRoot: join(work, "artifacts"),
      workRoot: join(work, "scratch-slow"),
      storageRoot: join(work, "storage"),
      mirrors: { "docker.io": registry.url },
      signal: cancel.signal,
      log: (line) => {
        logs.push(line);
        // Cancel once the RUN step runs in its sandbox: the step itself never ends.
        if (line === marker) cancel.abort();
      },
    }).then(
      () => assert.fail("the build succeeded"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BuildError, String(err));
    assert.equal(err.timedOut, false);
    assert.match(err.message, /the build was cancelled/);
    assert.ok(logs.includes(marker), "the RUN step had started");
    const { stdout } = await exec("ps", ["-eo", "args"]);
    assert.equal(
      stdout
        .split("\n")
        .filter((l) => l.includes(join(work, "scratch-slow")))
        .join("\n"),
      "",
      "no process of the build is left",
    );
  });

  test("RUN steps install from npm through the builds network and reach nothing else", async () => {
    // The builds network and proxy of ADR 0019, on this test's own prefix.
    const egress = await startBuildEgressOnPrefix({
      prefix: `i${process.pid.toString(36)}`.slice(0, 6),
      allow: DEFAULT_BUILD_EGRESS_ALLOW,
      clear: true,
    });
    // A host service on every address: loopback and the primary address must both stay closed.
    let accepted = 0;
    const listener = createNetServer((s) => {
      accepted++;
      s.destroy();
    });
    await new Promise<void>((done) => listener.listen(0, "0.0.0.0", done));
    const { port } = listener.address() as AddressInfo;
    const hostIp = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;
    assert.ok(hostIp, "the host has a non-loopback IPv4 address");
    try {
      const dir = await context(
        "egress",
        [
          "FROM slipway/stack:bookworm",
          "WORKDIR /app",
          // This machine reaches npm through a TLS-intercepting proxy: the build trusts its CA.
          "COPY ca.crt probe.mjs ./",
          "RUN NODE_EXTRA_CA_CERTS=/app/ca.crt npm_config_cafile=/app/ca.crt npm install --no-audit --no-fund is-number@7.0.0 \\",
          `  && node probe.mjs ${port} ${hostIp} > /app/probe.txt`,
          "",
        ].join("\n"),
      );
      await cp(HOST_CA, join(dir, "ca.crt"));
      await writeFile(join(dir, "probe.mjs"), EGRESS_PROBE);
      const built = await build(dir, { network: egress });
      const pkg = JSON.parse(
        await readFile(join(built.rootfsDir, "app/node_modules/is-number/package.json"), "utf8"),
      ) as { version: string };
      assert.equal(pkg.version, "7.0.0", "npm install through the proxy worked");
      const lines = new Map(
        (await readFile(join(built.rootfsDir, "app/probe.txt"), "utf8"))
          .trim()
          .split("\n")
          .map((l) => [l.slice(0, l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)] as const),
      );
      say(`RUN-step probes: ${JSON.stringify(Object.fromEntries(lines))}`);
      assert.match(lines.get("loopback") ?? "", /^FAIL/, "the host's loopback is not the step's");
      assert.match(lines.get("host-ip") ?? "", /^FAIL/, "the host's address is unreachable");
      assert.match(lines.get("proxy-example") ?? "", /^403/, "the proxy refuses non-registries");
      assert.equal(accepted, 0, "no connection reached the host service");
      assert.doesNotMatch(
        JSON.stringify(built.metadata),
        /PROXY|proxy/,
        "the proxy settings are not part of the image",
      );
    } finally {
      listener.close();
      await egress.stop();
    }
  });

  test("a dockerfile_path outside the context is rejected before anything runs", async () => {
    const dir = await context("escape", "FROM slipway/stack:bookworm\n");
    const calls = await buildahCalls();
    await assert.rejects(build(dir, { dockerfilePath: "../args/Dockerfile" }), (e: unknown) => {
      assert.ok(e instanceof SlipwayError && e.code === "invalid_argument");
      assert.match(e.message, /dockerfile_path "\.\.\/args\/Dockerfile" escapes/);
      return true;
    });
    await assert.rejects(build(dir, { dockerfilePath: "Missing.dockerfile" }), /no file Missing\.dockerfile/);
    assert.equal(await buildahCalls(), calls);
  });

  test("pullImage pulls by tag and by digest, reuses a digest it has, and names an unknown reference", async () => {
    const digestTwo = await registryDigest(registry, "team/tiny:v2");
    const pull = (source: { tag?: string; digest?: string; repository?: string }) =>
      pullImage({
        source: { registry_type: "DOCKER_HUB", registry: "team", repository: "tiny", ...source },
        artifactsRoot: join(work, "artifacts"),
        workRoot: join(work, "scratch"),
        mirrors: { "docker.io": registry.url },
      });

    const byTag = await pull({ tag: "v1" });
    say(`pull of a small image by tag: ${secs(byTag.durationMs)}`);
    assert.equal(byTag.reused, false);
    assert.equal(byTag.metadata.source, "docker.io/team/tiny:v1");
    assert.equal(byTag.metadata.imageDigest, await registryDigest(registry, "team/tiny:v1"));
    assert.deepEqual(byTag.metadata.cmd, ["/bin/busybox", "httpd", "-f"]);
    assert.equal(await readFile(join(byTag.rootfsDir, "marker"), "utf8"), "one\n");

    const byDigest = await pull({ digest: digestTwo });
    assert.equal(byDigest.reused, false);
    assert.equal(byDigest.metadata.imageDigest, digestTwo);
    assert.equal(await readFile(join(byDigest.rootfsDir, "marker"), "utf8"), "two\n");

    const again = await pull({ tag: "v1" });
    assert.equal(again.reused, true);
    assert.equal(again.metadata.id, byTag.metadata.id);
    const pinned = await pull({ digest: byTag.metadata.imageDigest });
    assert.equal(pinned.reused, true);

    for (const [source, text] of [
      [{ tag: "nope" }, "docker.io/team/tiny:nope"],
      [{ repository: "absent", tag: "v1" }, "docker.io/team/absent:v1"],
    ] as const) {
      await assert.rejects(pull(source), (e: unknown) => {
        assert.ok(e instanceof SlipwayError && e.code === "not_found", String(e));
        assert.ok(e.message.includes(text), e.message);
        assert.ok(e.message.includes(`${registry.host}/team/`), e.message);
        return true;
      });
    }
  });
});
