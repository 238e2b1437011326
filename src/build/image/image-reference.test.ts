import assert from "node:assert/strict";
import { test } from "node:test";
import { SlipwayError } from "../../resources/index.js";
import { imageReference } from "./image-reference.js";

test("imageReference qualifies each registry type, tag defaulting to latest", () => {
  assert.equal(
    imageReference({ registry_type: "DOCKER_HUB", repository: "node" }).text,
    "docker.io/library/node:latest",
  );
  assert.equal(
    imageReference({ registry_type: "DOCKER_HUB", registry: "team", repository: "app", tag: "v1" }).text,
    "docker.io/team/app:v1",
  );
  assert.equal(
    imageReference({ registry_type: "GHCR", registry: "octo", repository: "web" }).name,
    "ghcr.io/octo/web",
  );
  assert.equal(
    imageReference({ registry_type: "DOCR", repository: "web" }, { docrRegistry: "mine" }).name,
    "registry.digitalocean.com/mine/web",
  );
});

test("imageReference pins a digest over the tag", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  const ref = imageReference({ registry_type: "GHCR", registry: "o", repository: "r", tag: "v2", digest });
  assert.equal(ref.digest, digest);
  assert.equal(ref.text, `ghcr.io/o/r@${digest}`);
});

test("imageReference rejects sources it cannot name, saying which field", () => {
  const cases = [
    [{ registry_type: "DOCR", repository: "web" }, /image\.registry: a DOCR source needs/],
    [{ registry_type: "GHCR", repository: "web" }, /image\.registry: a GHCR source needs the owner/],
    [{ repository: "web" }, /image\.registry_type: must be/],
    [{ registry_type: "DOCKER_HUB", repository: "Web App" }, /image\.repository: "Web App"/],
  ] as const;
  for (const [source, message] of cases)
    assert.throws(
      () => imageReference(source),
      (e: unknown) => e instanceof SlipwayError && e.code === "invalid_argument" && message.test(e.message),
    );
});
