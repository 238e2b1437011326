/**
 * Benchmark: sources. A repository of 2,000 small files (one commit) fetched shallow over
 * file:// with fetchGitSource, against a plain `git clone --depth 1` of the same; packSource and
 * unpackSource of the same tree (5 runs each, median). Writes bench/results/source.json.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fetchGitSource, packSource, unpackSource } from "../src/build/index.js";
import { repoRoot } from "../test/helpers/repo-root.js";

const FILES = 2000;
const RUNS = 5;
const env = {
  ...process.env,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@b",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@b",
};

const median = (xs: number[]) =>
  Number(([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number).toFixed(1));

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const dir = mkdtempSync(join(tmpdir(), `slipway-bench-source-${process.pid}-`));
try {
  const repo = join(dir, "repo");
  for (let i = 0; i < FILES; i++) {
    mkdirSync(join(repo, `d${i % 50}`), { recursive: true });
    writeFileSync(join(repo, `d${i % 50}`, `f${i}.js`), `export const x${i} = ${i};\n`.repeat(20));
  }
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: repo, env });
  execFileSync("git", ["add", "-A"], { cwd: repo, env });
  execFileSync("git", ["commit", "-qm", "bench"], { cwd: repo, env });
  const url = pathToFileURL(repo).href;
  const fetch: number[] = [];
  const clone: number[] = [];
  const pack: number[] = [];
  const unpack: number[] = [];
  let tarBytes = 0;
  for (let r = 0; r < RUNS; r++) {
    fetch.push(await timed(() => fetchGitSource({ url, branch: "main", dest: join(dir, `fetch-${r}`) })));
    clone.push(
      await timed(async () =>
        execFileSync(
          "git",
          [
            "clone",
            "-q",
            "--depth",
            "1",
            "--single-branch",
            "--branch",
            "main",
            url,
            join(dir, `clone-${r}`),
          ],
          { env },
        ),
      ),
    );
    let tarball: Buffer = Buffer.alloc(0);
    pack.push(await timed(async () => (tarball = await packSource(repo))));
    tarBytes = tarball.length;
    unpack.push(await timed(() => unpackSource(tarball, join(dir, `unpack-${r}`))));
  }
  const result = {
    name: "source",
    date: new Date().toISOString(),
    files: FILES,
    runs: RUNS,
    median_ms: {
      fetchGitSource_file_url: median(fetch),
      git_clone_depth1_baseline: median(clone),
      packSource: median(pack),
      unpackSource: median(unpack),
    },
    tarball_bytes: tarBytes,
  };
  mkdirSync(join(repoRoot(), "bench", "results"), { recursive: true });
  writeFileSync(join(repoRoot(), "bench", "results", "source.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
