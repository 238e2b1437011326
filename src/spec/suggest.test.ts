import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { editDistance, suggest } from "./suggest.js";

describe("editDistance", () => {
  it("counts insertions, deletions and substitutions", () => {
    assert.equal(editDistance("", ""), 0);
    assert.equal(editDistance("abc", "abc"), 0);
    assert.equal(editDistance("abc", "abcd"), 1);
    assert.equal(editDistance("abcd", "abc"), 1);
    assert.equal(editDistance("abc", "abd"), 1);
    assert.equal(editDistance("", "abc"), 3);
  });

  it("counts a swap of two neighbouring characters as one edit", () => {
    assert.equal(editDistance("ulr", "url"), 1);
    assert.equal(editDistance("PRIVATE_ULR", "PRIVATE_URL"), 1);
  });
});

describe("suggest", () => {
  const fields = ["http_port", "internal_ports", "environment_slug", "envs", "name", "routes"];

  it("suggests a field one edit away", () => {
    assert.equal(suggest("enviroment_slug", fields), "environment_slug");
    assert.equal(suggest("route", fields), "routes");
  });

  it("prefers a case-insensitive match", () => {
    assert.equal(suggest("http", ["HTTP", "HTTP2"]), "HTTP");
    assert.equal(suggest("secret", ["GENERAL", "SECRET"]), "SECRET");
  });

  it("suggests a field that contains the input as an underscore-separated part", () => {
    assert.equal(suggest("port", fields), "http_port");
  });

  it("suggests the nearest value within a third of the input's length", () => {
    assert.equal(suggest("RUNTIME", ["UNSET", "RUN_TIME", "BUILD_TIME", "RUN_AND_BUILD_TIME"]), "RUN_TIME");
    assert.equal(suggest("DEPLOYMENT_FAIL", ["DEPLOYMENT_FAILED", "DEPLOYMENT_LIVE"]), "DEPLOYMENT_FAILED");
  });

  it("suggests nothing when no candidate is close", () => {
    assert.equal(suggest("kubernetes_annotations", fields), undefined);
    assert.equal(suggest("zz", fields), undefined);
    assert.equal(suggest("anything", []), undefined);
  });

  it("suggests nothing for inputs longer than 64 characters", () => {
    assert.equal(suggest(`${"a".repeat(65)}`, [`${"a".repeat(64)}`]), undefined);
  });
});
