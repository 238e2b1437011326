/**
 * fetchGitSource with the real git binary against repositories made in a temp folder, fetched
 * as file:// URLs and as plain paths; an HTTP "server" on a random loopback port that never
 * answers for the timeout; a closed port for an unreachable host.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { fetchGitSource } from "../src/build/index.js";
import { type ErrorCode, isErrorCode } from "../src/resources/index.js";
import { waitFor } from "./helpers/wait-for.js";

const isErrorCodeOf = (err: unknown, code: ErrorCode): boolean => isErrorCode(err, code);

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: GIT_ENV, encoding: "utf8" }).trim();
}

describe("fetchGitSource (real git)", { timeout: 120_000 }, () => {
  let work = "";
  let repo = "";
  let first = "";
  let mainHead = "";
  let featureHead = "";
  let n = 0;
  const dest = () => join(work, `checkout-${process.pid}-${n++}`);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), `slipway-source-fetch-${process.pid}-`));
    repo = join(work, "repo");
    await mkdir(repo);
    git(repo, "init", "-q", "-b", "main");
    await writeFile(join(repo, "README.md"), "one\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "first");
    first = git(repo, "rev-parse", "HEAD");
    git(repo, "tag", "v1");
    git(repo, "checkout", "-q", "-b", "feature");
    await writeFile(join(repo, "feature.txt"), "feature\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "feature");
    featureHead = git(repo, "rev-parse", "HEAD");
    git(repo, "checkout", "-q", "main");
    await writeFile(join(repo, "README.md"), "two\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "second");
    mainHead = git(repo, "rev-parse", "HEAD");
  });

  after(async () => {
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  for (const [how, url] of [
    ["a file:// URL", () => pathToFileURL(repo).href],
    ["a plain path", () => repo],
  ] as const) {
    it(`fetches a branch from ${how}: its exact head commit, shallow, no tags`, async () => {
      const lines: string[] = [];
      const out = dest();
      const got = await fetchGitSource({ url: url(), branch: "main", dest: out, log: (l) => lines.push(l) });
      assert.deepEqual(got, { dir: out, commit: mainHead });
      assert.equal(await readFile(join(out, "README.md"), "utf8"), "two\n");
      assert.equal(git(out, "rev-list", "--count", "HEAD"), "1");
      assert.equal(git(out, "tag", "--list"), "");
      assert.equal(git(out, "rev-parse", "--is-shallow-repository"), "true");
      assert.doesNotMatch(
        await readFile(join(out, ".git", "config"), "utf8"),
        /url|remote/,
        "the URL is not stored",
      );
      assert.ok(
        lines.some((l) => l.includes(mainHead)),
        lines.join("\n"),
      );
    });
  }

  it("fetches a second branch with its own commit", async () => {
    const out = dest();
    const got = await fetchGitSource({ url: pathToFileURL(repo).href, branch: "feature", dest: out });
    assert.equal(got.commit, featureHead);
    assert.equal(await readFile(join(out, "feature.txt"), "utf8"), "feature\n");
    assert.equal(await readFile(join(out, "README.md"), "utf8"), "one\n");
  });

  it("fetches the default branch when none is given", async () => {
    const got = await fetchGitSource({ url: repo, dest: dest() });
    assert.equal(got.commit, mainHead);
  });

  it("fetches an exact older commit by hash", async () => {
    const out = dest();
    const got = await fetchGitSource({ url: pathToFileURL(repo).href, commit: first, dest: out });
    assert.equal(got.commit, first);
    assert.equal(await readFile(join(out, "README.md"), "utf8"), "one\n");
    assert.equal(git(out, "rev-list", "--count", "HEAD"), "1");
  });

  it("says which branch is missing, and removes the destination", async () => {
    const out = dest();
    const url = pathToFileURL(repo).href;
    await assert.rejects(fetchGitSource({ url, branch: "nope", dest: out }), (err: unknown) => {
      assert.ok(isErrorCodeOf(err, "not_found"), String(err));
      assert.equal(
        (err as Error).message,
        `branch "nope" not found in ${url}; check the branch name in the component's source`,
      );
      return true;
    });
    assert.equal(existsSync(out), false);
  });

  it("says when a commit is not in the repository", async () => {
    await assert.rejects(
      fetchGitSource({ url: pathToFileURL(repo).href, commit: "0".repeat(40), dest: dest() }),
      (err: unknown) =>
        isErrorCodeOf(err, "not_found") && /commit 0{40} not found in file:\/\//.test(String(err)),
    );
  });

  it("says when the repository does not exist", async () => {
    const missing = join(work, "no-such-repo");
    for (const url of [missing, pathToFileURL(missing).href]) {
      await assert.rejects(fetchGitSource({ url, branch: "main", dest: dest() }), (err: unknown) => {
        assert.ok(isErrorCodeOf(err, "not_found"), String(err));
        assert.match(
          (err as Error).message,
          new RegExp(`^could not fetch ${url}: .*Check that the repository exists`),
        );
        return true;
      });
    }
  });

  it("never shows credentials of an unreachable URL, in the error or the log", async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const url = `http://alice:hunter2@127.0.0.1:${port}/r.git`;
    await assert.rejects(
      fetchGitSource({ url, branch: "main", dest: dest(), log: (l) => lines.push(l) }),
      (err: unknown) => {
        assert.ok(isErrorCodeOf(err, "unavailable"), String(err));
        const text = `${(err as Error).message}\n${lines.join("\n")}`;
        assert.doesNotMatch(text, /hunter2|alice/);
        assert.match(
          (err as Error).message,
          new RegExp(`could not fetch http://\\*\\*\\*@127\\.0\\.0\\.1:${port}/r\\.git`),
        );
        return true;
      },
    );
  });

  it("stops at the timeout when the server never answers", async () => {
    // Long enough for `git init` and the connection on a loaded machine; the server never answers.
    const { server, port, sockets } = await silentServer();
    try {
      const out = dest();
      await assert.rejects(
        fetchGitSource({
          url: `http://bob:pw@127.0.0.1:${port}/r.git`,
          branch: "main",
          dest: out,
          timeoutMs: 2000,
        }),
        (err: unknown) => {
          assert.ok(isErrorCodeOf(err, "unavailable"), String(err));
          assert.equal(
            (err as Error).message,
            `fetching http://***@127.0.0.1:${port}/r.git timed out after 2000 ms (fetch); check that the host is reachable, or raise the timeout for large repositories`,
          );
          return true;
        },
      );
      assert.ok(sockets.length > 0, "git connected to the server");
      assert.equal(existsSync(out), false);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it("stops when its signal aborts", async () => {
    const { server, port, sockets } = await silentServer();
    try {
      const controller = new AbortController();
      const fetching = fetchGitSource({
        url: `http://127.0.0.1:${port}/r.git`,
        dest: dest(),
        signal: controller.signal,
      });
      await waitForConnection(sockets);
      controller.abort();
      await assert.rejects(fetching, /was cancelled/);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it("refuses a checkout with a symbolic link to /etc/passwd, naming the link", async () => {
    const evil = join(work, "evil");
    await mkdir(evil);
    git(evil, "init", "-q", "-b", "main");
    await writeFile(join(evil, "ok.txt"), "ok\n");
    await symlink("ok.txt", join(evil, "inside"));
    await mkdir(join(evil, "conf"));
    await symlink("/etc/passwd", join(evil, "conf", "passwd"));
    git(evil, "add", "-A");
    git(evil, "commit", "-qm", "evil");
    const out = dest();
    await assert.rejects(fetchGitSource({ url: evil, branch: "main", dest: out }), (err: unknown) => {
      assert.ok(isErrorCodeOf(err, "failed_precondition"), String(err));
      assert.match(
        (err as Error).message,
        /symbolic links that point outside the source tree: "conf\/passwd" -> "\/etc\/passwd"/,
      );
      assert.doesNotMatch((err as Error).message, /"inside"/);
      return true;
    });
    assert.equal(existsSync(out), false);
  });

  it("leaves submodules out unless asked, and fetches them shallow when asked", async () => {
    const lib = join(work, "lib");
    await mkdir(lib);
    git(lib, "init", "-q", "-b", "main");
    await writeFile(join(lib, "lib.txt"), "lib\n");
    git(lib, "add", "-A");
    git(lib, "commit", "-qm", "lib");
    const parent = join(work, "with-sub");
    await mkdir(parent);
    git(parent, "init", "-q", "-b", "main");
    git(parent, "-c", "protocol.file.allow=always", "submodule", "add", "-q", "../lib", "vendor/lib");
    git(parent, "commit", "-qm", "with a submodule");
    const plain = dest();
    await fetchGitSource({ url: parent, branch: "main", dest: plain });
    assert.equal(existsSync(join(plain, "vendor", "lib", "lib.txt")), false);
    const withSub = dest();
    await fetchGitSource({
      url: pathToFileURL(parent).href,
      branch: "main",
      dest: withSub,
      submodules: true,
    });
    assert.equal(await readFile(join(withSub, "vendor", "lib", "lib.txt"), "utf8"), "lib\n");
    assert.doesNotMatch(
      await readFile(join(withSub, ".git", "config"), "utf8"),
      /url = file/,
      "the URL is removed again",
    );
  });

  it("refuses option-like and malformed inputs before running git", async () => {
    for (const options of [
      { url: "--upload-pack=touch /tmp/x", dest: dest() },
      { url: "relative/path", dest: dest() },
      { url: "ext::sh -c touch% /tmp/x", dest: dest() },
      { url: repo, branch: "-x", dest: dest() },
      { url: repo, commit: "abc123", dest: dest() },
    ]) {
      await assert.rejects(fetchGitSource(options), (err: unknown) => isErrorCodeOf(err, "invalid_argument"));
    }
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function silentServer(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on("error", () => {});
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { server, port: address.port, sockets };
}

async function waitForConnection(sockets: Socket[]): Promise<void> {
  await waitFor(() => sockets.length > 0, 10_000, "git to connect");
}
