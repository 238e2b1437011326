import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkStackDefinition, DEFAULT_STACK, stackName, stackVersion } from "./stack-definition.js";

describe("stackVersion", () => {
  it("is 12 hex digits and the same for the same definition", () => {
    assert.match(stackVersion(DEFAULT_STACK), /^[0-9a-f]{12}$/);
    assert.equal(stackVersion({ ...DEFAULT_STACK }), stackVersion(DEFAULT_STACK));
  });

  it("ignores package order and duplicates", () => {
    const reordered = { ...DEFAULT_STACK, packages: [...DEFAULT_STACK.packages].reverse().concat(["git"]) };
    assert.equal(stackVersion(reordered), stackVersion(DEFAULT_STACK));
  });

  it("changes when a package, the suite or the variant changes", () => {
    const base = stackVersion(DEFAULT_STACK);
    assert.notEqual(stackVersion({ ...DEFAULT_STACK, packages: [...DEFAULT_STACK.packages, "curl"] }), base);
    assert.notEqual(stackVersion({ ...DEFAULT_STACK, packages: DEFAULT_STACK.packages.slice(1) }), base);
    assert.notEqual(stackVersion({ ...DEFAULT_STACK, suite: "trixie" }), base);
    assert.notEqual(stackVersion({ ...DEFAULT_STACK, variant: "buildd" }), base);
  });
});

describe("stackName", () => {
  it("is the suite and the version", () => {
    assert.equal(stackName(DEFAULT_STACK), `bookworm-${stackVersion(DEFAULT_STACK)}`);
  });
});

describe("checkStackDefinition", () => {
  it("accepts the default stack, which has the runtimes the issue asks for", () => {
    assert.deepEqual(checkStackDefinition(DEFAULT_STACK), []);
    for (const p of [
      "nodejs",
      "npm",
      "python3",
      "python3-venv",
      "python3-pip",
      "golang-go",
      "ca-certificates",
    ])
      assert.ok(DEFAULT_STACK.packages.includes(p), p);
  });

  it("names each bad field", () => {
    assert.deepEqual(
      checkStackDefinition({ suite: "Bookworm", variant: "minbase", packages: ["ok", "-rf /"] }),
      [
        'suite: must be a Debian suite name, got "Bookworm"',
        'packages[1]: not a Debian package name: "-rf /"',
      ],
    );
    assert.deepEqual(checkStackDefinition({ suite: "bookworm", variant: "", packages: [] }), [
      'variant: must be a debootstrap variant, got ""',
      "packages: must list at least one package",
    ]);
  });
});
