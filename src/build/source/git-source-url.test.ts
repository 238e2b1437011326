import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkBranchName, gitCloneTarget } from "./git-source-url.js";

describe("gitCloneTarget", () => {
  it("maps each source block to a clone URL and branch", () => {
    assert.deepEqual(
      gitCloneTarget({ git: { repo_clone_url: "https://example.com/a/b.git", branch: "main" } }),
      {
        ok: true,
        target: { url: "https://example.com/a/b.git", branch: "main", from: "git" },
      },
    );
    assert.deepEqual(gitCloneTarget({ github: { repo: "owner/name", branch: "dev" } }), {
      ok: true,
      target: { url: "https://github.com/owner/name.git", branch: "dev", from: "github" },
    });
    assert.deepEqual(gitCloneTarget({ gitlab: { repo: "group/sub/name" } }), {
      ok: true,
      target: { url: "https://gitlab.com/group/sub/name.git", branch: undefined, from: "gitlab" },
    });
    assert.deepEqual(gitCloneTarget({ bitbucket: { repo: "team/app.git", branch: "release/1.2" } }), {
      ok: true,
      target: { url: "https://bitbucket.org/team/app.git", branch: "release/1.2", from: "bitbucket" },
    });
    assert.deepEqual(gitCloneTarget({}), { ok: true, target: undefined });
  });

  it("refuses URLs a spec must not use and bad repositories or branches", () => {
    assert.deepEqual(gitCloneTarget({ git: { repo_clone_url: "file:///var/lib/slipway" } }), {
      ok: false,
      path: "git.repo_clone_url",
      message: 'git.repo_clone_url: must be an https:// URL, got "file:///var/lib/slipway"',
    });
    assert.deepEqual(gitCloneTarget({ github: { repo: "a/b/c" } }), {
      ok: false,
      path: "github.repo",
      message: 'github.repo: must be "owner/repository", got "a/b/c"',
    });
    assert.deepEqual(gitCloneTarget({ github: { repo: "a/b", branch: "--upload-pack=evil" } }), {
      ok: false,
      path: "github.branch",
      message: 'github.branch: "--upload-pack=evil" must not start with "-"',
    });
  });
});

describe("checkBranchName", () => {
  it("accepts ordinary names and refuses what git refuses", () => {
    for (const ok of ["main", "release/1.2", "feat_x-y", "v1.0"])
      assert.equal(checkBranchName(ok), undefined, ok);
    for (const bad of [
      "",
      "-x",
      "a..b",
      "a b",
      "a~1",
      "a^",
      "a:b",
      "a?",
      "a*",
      "a[",
      "a\\b",
      "/a",
      "a/",
      "a.",
      "a.lock",
      "@",
      "a@{1}",
      "a//b",
    ]) {
      assert.notEqual(checkBranchName(bad), undefined, bad);
    }
  });
});
