import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SpecIssue } from "./issues.js";
import { DEFAULT_MAX_SPEC_BYTES, type ParsedSpec, parseSpec } from "./parse.js";

function parsed(input: string | Uint8Array): ParsedSpec {
  const result = parseSpec(input);
  if (!result.ok) assert.fail(`expected the input to parse, got ${JSON.stringify(result.errors)}`);
  return result.spec;
}

function failed(input: string | Uint8Array, options: { maxBytes?: number } = {}): SpecIssue[] {
  const result = parseSpec(input, options);
  if (result.ok) assert.fail("expected the input to be refused");
  return result.errors;
}

describe("parseSpec", () => {
  it("locates values and keys with 1-based lines and columns", () => {
    const spec = parsed("name: shop\nservices:\n  - name: web\n    http_port: 8080\n");
    assert.deepEqual(spec.locate(["services", 0, "http_port"]), { line: 4, column: 16 });
    assert.deepEqual(spec.locate(["services", 0, "http_port"], "key"), { line: 4, column: 5 });
    assert.deepEqual(spec.locate(["name"]), { line: 1, column: 7 });
  });

  it("locates a missing path at its nearest existing ancestor", () => {
    const spec = parsed("name: shop\nservices:\n  - name: web\n");
    assert.deepEqual(spec.locate(["services", 0, "github", "repo"]), { line: 3, column: 5 });
  });

  it("locates paths through aliases", () => {
    const spec = parsed("name: shop\nservices:\n  - &web\n    name: web\n    http_port: 1\n  - *web\n");
    assert.deepEqual(spec.locate(["services", 1, "http_port"]), { line: 5, column: 16 });
  });

  it("unwraps a deploy template and locates paths inside the wrapper", () => {
    const spec = parsed("spec:\n  name: shop\n  region: nyc\n");
    assert.equal(spec.wrapped, true);
    assert.deepEqual(spec.value, { name: "shop", region: "nyc" });
    assert.deepEqual(spec.locate(["region"]), { line: 3, column: 11 });
  });

  it("does not unwrap a map whose spec key sits beside other keys", () => {
    const spec = parsed("spec:\n  name: shop\nname: other\n");
    assert.equal(spec.wrapped, false);
  });

  it("reads JSON", () => {
    const spec = parsed('{"name": "shop", "services": [{"name": "web"}]}');
    assert.deepEqual(spec.value, { name: "shop", services: [{ name: "web" }] });
    assert.deepEqual(spec.locate(["services", 0, "name"]), { line: 1, column: 40 });
  });

  it("reads YAML 1.1 booleans yes/no/on/off as booleans, as doctl does", () => {
    const spec = parsed("a: yes\nb: no\nc: on\nd: off\ne: 'yes'\n");
    assert.deepEqual(spec.value, { a: true, b: false, c: true, d: false, e: "yes" });
  });

  it("applies merge keys", () => {
    const spec = parsed("base: &b {p: 1, q: 2}\nitem:\n  <<: *b\n  q: 3\n");
    assert.deepEqual((spec.value as Record<string, unknown>).item, { p: 1, q: 3 });
  });

  it("reports a YAML syntax error at the line and column of the error", () => {
    const errors = failed("name: shop\nservices:\n\t- name: web\n");
    assert.deepEqual(errors, [
      { path: "", line: 3, column: 1, message: "invalid YAML: tabs are not allowed as indentation" },
    ]);
  });

  it("reports a duplicate key at the second occurrence", () => {
    const errors = failed("name: shop\nregion: nyc\nname: other\n");
    assert.deepEqual(errors, [
      { path: "", line: 3, column: 1, message: "invalid YAML: map keys must be unique" },
    ]);
  });

  it("refuses input over the size limit with both sizes in the message", () => {
    const big = `name: shop\n# ${"x".repeat(DEFAULT_MAX_SPEC_BYTES)}\n`;
    assert.deepEqual(failed(big), [
      { path: "", message: "spec is 1.0 MiB; the largest accepted is 1.0 MiB" },
    ]);
    assert.deepEqual(failed("name: shop\n", { maxBytes: 4 }), [
      { path: "", message: "spec is 11 bytes; the largest accepted is 4 bytes" },
    ]);
  });

  it("reports the line and column of the first byte that is not UTF-8", () => {
    const bytes = new Uint8Array([...Buffer.from("name: shop\nregion: n"), 0xff, ...Buffer.from("c\n")]);
    assert.deepEqual(failed(bytes), [
      { path: "", line: 2, column: 10, message: "not valid UTF-8 (byte 0xff); save the file as UTF-8" },
    ]);
  });

  it("accepts UTF-8 bytes and decodes them", () => {
    const spec = parsed(new TextEncoder().encode("name: café\n"));
    assert.deepEqual(spec.value, { name: "café" });
  });

  it("bounds alias expansion and points at the first alias", () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (const [prev, cur] of [
      ["a", "b"],
      ["b", "c"],
      ["c", "d"],
      ["d", "e"],
      ["e", "f"],
    ] as const) {
      lines.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(",")}]`);
    }
    const started = performance.now();
    const errors = failed(`${lines.join("\n")}\n`);
    assert.ok(performance.now() - started < 2000, "the alias bomb took too long to refuse");
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? "", /^invalid YAML: aliases expand too much/);
    assert.equal(errors[0]?.line, 2);
    assert.equal(errors[0]?.column, 8);
  });

  it("returns an error for 100k levels of nesting without throwing", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const result = parseSpec(deep);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.errors[0]?.message ?? "", /^invalid YAML: /);
  });

  it("parses an empty document to null so the validator can say so", () => {
    assert.equal(parsed("").value, null);
    assert.deepEqual(parsed("# only a comment\n").locate([]), { line: 1, column: 1 });
  });
});
