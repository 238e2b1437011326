import assert from "node:assert/strict";
import { test } from "node:test";
import { SlipwayError } from "../../resources/index.js";
import { mirrorsFingerprint, renderRegistriesConf, resolveReference } from "./registry-mirrors.js";

test("resolveReference rewrites through the longest matching prefix, on whole segments", () => {
  const mirrors = {
    "docker.io": "https://mirror.example/hub",
    "docker.io/slipway": "http://127.0.0.1:5000/",
  };
  assert.deepEqual(resolveReference("docker.io/slipway/stack", mirrors), {
    original: "docker.io/slipway/stack",
    fetch: "127.0.0.1:5000/stack",
    tlsVerify: false,
  });
  assert.deepEqual(
    resolveReference("docker.io/slipwayx/app", mirrors).fetch,
    "mirror.example/hub/slipwayx/app",
  );
  assert.equal(resolveReference("docker.io/library/node", mirrors).tlsVerify, true);
  assert.deepEqual(resolveReference("ghcr.io/o/r", mirrors), {
    original: "ghcr.io/o/r",
    fetch: "ghcr.io/o/r",
    tlsVerify: true,
  });
});

test("resolveReference rejects a mirror that is not an http(s) URL, naming it", () => {
  assert.throws(
    () => resolveReference("docker.io/a/b", { "docker.io": "127.0.0.1:5000" }),
    (e: unknown) =>
      e instanceof SlipwayError && e.code === "invalid_argument" && /"docker\.io"/.test(e.message),
  );
});

test("renderRegistriesConf resolves short names on docker.io and marks http mirrors insecure", () => {
  const text = renderRegistriesConf({
    "docker.io": "http://127.0.0.1:5000",
    "ghcr.io": "https://ghcr.example",
  });
  assert.match(text, /^unqualified-search-registries = \["docker\.io"\]$/m);
  assert.match(text, /prefix = "docker\.io"\nlocation = "127\.0\.0\.1:5000"\ninsecure = true/);
  assert.match(text, /prefix = "ghcr\.io"\nlocation = "ghcr\.example"\n/);
  assert.doesNotMatch(text.split('prefix = "ghcr.io"')[1] ?? "", /insecure/);
});

test("mirrorsFingerprint ignores key order and trailing slashes", () => {
  assert.equal(
    mirrorsFingerprint({ a: "http://x/", b: "https://y" }),
    mirrorsFingerprint({ b: "https://y", a: "http://x" }),
  );
  assert.notEqual(mirrorsFingerprint({ a: "http://x" }), mirrorsFingerprint({ a: "https://x" }));
});
