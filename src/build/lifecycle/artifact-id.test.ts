import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EnvVarSpec } from "../../spec/index.js";
import { type ArtifactInputs, artifactId } from "./artifact-id.js";
import { buildEnvs } from "./build-envs.js";

const DIGEST = "a".repeat(64);

function inputs(envs: EnvVarSpec[], overrides: Partial<ArtifactInputs> = {}): ArtifactInputs {
  return {
    sourceDigest: DIGEST,
    builder: "nodejs",
    component: { build_command: "npm run build" },
    envs: buildEnvs([], envs),
    stackVersion: "bookworm-1",
    ...overrides,
  };
}

describe("artifactId", () => {
  const envs: EnvVarSpec[] = [
    { key: "B", value: "1", scope: "BUILD_TIME" },
    { key: "R", value: "1", scope: "RUN_TIME" },
    { key: "BOTH", value: "1" },
  ];
  const id = artifactId(inputs(envs));

  it("is 64 hex digits and stable", () => {
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(artifactId(inputs([...envs].reverse())), id, "env order does not count");
  });

  it("does not change with a RUN_TIME env", () => {
    assert.equal(
      artifactId(
        inputs([...envs.slice(0, 1), { key: "R", value: "2", scope: "RUN_TIME" }, envs[2] as EnvVarSpec]),
      ),
      id,
    );
    assert.equal(artifactId(inputs([...envs, { key: "NEW", value: "x", scope: "RUN_TIME" }])), id);
  });

  it("changes with a BUILD_TIME or RUN_AND_BUILD_TIME env, its scope, or its type", () => {
    const changed = [
      [{ key: "B", value: "2", scope: "BUILD_TIME" }, envs[1], envs[2]],
      [envs[0], envs[1], { key: "BOTH", value: "2" }],
      [{ key: "B", value: "1", scope: "RUN_AND_BUILD_TIME" }, envs[1], envs[2]],
      [{ key: "B", value: "1", scope: "BUILD_TIME", type: "SECRET" }, envs[1], envs[2]],
      [...envs, { key: "NEW", value: "", scope: "BUILD_TIME" }],
    ] as EnvVarSpec[][];
    const ids = new Set([id, ...changed.map((e) => artifactId(inputs(e)))]);
    assert.equal(ids.size, changed.length + 1);
  });

  it("changes with the source, builder, build fields and stack, not with other fields", () => {
    const others: Partial<ArtifactInputs>[] = [
      { sourceDigest: "b".repeat(64) },
      { builder: "python" },
      { component: { build_command: "npm run build:prod" } },
      { component: { build_command: "npm run build", source_dir: "api" } },
      { component: { build_command: "npm run build", output_dir: "dist" } },
      { component: { build_command: "npm run build", environment_slug: "node-js" } },
      { component: { build_command: "npm run build", dockerfile_path: "Dockerfile" } },
      { stackVersion: "bookworm-2" },
    ];
    const ids = new Set([id, ...others.map((o) => artifactId(inputs(envs, o)))]);
    assert.equal(ids.size, others.length + 1);
    const withRun = {
      build_command: "npm run build",
      run_command: "node x.js",
    } as ArtifactInputs["component"];
    assert.equal(artifactId(inputs(envs, { component: withRun })), id, "run_command is not a build field");
  });

  it("depends on a SECRET's value without it appearing in the input it hashes", () => {
    const secret = (value: string) =>
      artifactId(inputs([{ key: "TOKEN", value, scope: "BUILD_TIME", type: "SECRET" }]));
    assert.notEqual(secret("s3cret-one"), secret("s3cret-two"));
    assert.equal(secret("s3cret-one"), secret("s3cret-one"));
  });
});

describe("buildEnvs", () => {
  it("keeps build-visible envs, component over app, sorted by key", () => {
    const got = buildEnvs(
      [
        { key: "Z", value: "app" },
        { key: "A", value: "app", scope: "RUN_TIME" },
        { key: "K", value: "app", scope: "BUILD_TIME" },
      ],
      [
        { key: "A", value: "comp", scope: "BUILD_TIME", type: "SECRET" },
        { key: "K", value: "comp", scope: "RUN_TIME" },
        { key: "U", scope: "UNSET" },
      ],
    );
    assert.deepEqual(got, [
      { key: "A", value: "comp", secret: true, runTime: false },
      { key: "U", value: "", secret: false, runTime: true },
      { key: "Z", value: "app", secret: false, runTime: true },
    ]);
  });
});
