import assert from "node:assert/strict";
import { test } from "node:test";
import { dockerfileImageId, pulledImageId } from "./image-artifact-id.js";

const base = {
  sourceDigest: "s",
  dockerfilePath: "Dockerfile",
  sourceDir: "",
  envs: [
    { key: "A", value: "1", secret: false, runTime: false },
    { key: "T", value: "secret", secret: true, runTime: true },
  ],
  registries: "{}",
};

test("dockerfileImageId changes with every input and not with env order", () => {
  const id = dockerfileImageId(base);
  assert.match(id, /^[a-f0-9]{64}$/);
  assert.equal(dockerfileImageId({ ...base, envs: [...base.envs].reverse() }), id);
  for (const change of [
    { sourceDigest: "t" },
    { dockerfilePath: "docker/Dockerfile" },
    { sourceDir: "web" },
    { registries: '{"docker.io":"http://x"}' },
    { envs: [{ key: "T", value: "other", secret: true, runTime: true }] },
  ])
    assert.notEqual(dockerfileImageId({ ...base, ...change }), id, JSON.stringify(change));
});

test("pulledImageId depends on the digest alone", () => {
  const d = `sha256:${"b".repeat(64)}`;
  assert.equal(pulledImageId(d), pulledImageId(d));
  assert.notEqual(pulledImageId(d), pulledImageId(`sha256:${"c".repeat(64)}`));
});
