/**
 * Property test: random mutations of valid specs never make the validator throw or hang. Every
 * input yields either a valid spec or structured errors; valid ones survive normalize, which is
 * idempotent and keeps them valid. Hostile files (alias bombs, deep nesting, huge files, bad
 * UTF-8) are refused with an error.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parse as parseYaml, stringify } from "yaml";
import { createSpecValidator, normalize, type ValidationResult } from "../src/spec/index.js";
import { repoRoot } from "./helpers/repo-root.js";

const validator = createSpecValidator();

function seeds(): unknown[] {
  const root = repoRoot();
  const out: unknown[] = [];
  for (const dir of readdirSync(join(root, "examples"))) {
    const file = join(root, "examples", dir, ".do", "app.yaml");
    try {
      out.push(parseYaml(readFileSync(file, "utf8")));
    } catch {
      // an example without an app.yaml
    }
  }
  assert.ok(out.length >= 3, "the examples provide seed specs");
  return out;
}

type Json = unknown;
type Step = {
  path: number[];
  action: "replace" | "delete" | "insert" | "huge" | "deep";
  value: Json;
  key: string;
};

/** Applies one mutation at the node chosen by walking `path` (indexes modulo the children). */
function mutate(root: Json, step: Step): Json {
  const copy = structuredClone(root);
  let parent: Record<string, Json> | Json[] | undefined;
  let key: string | number | undefined;
  let node: Json = copy;
  for (const n of step.path) {
    const children = node !== null && typeof node === "object" ? Object.keys(node as object) : [];
    if (children.length === 0) break;
    const k = children[n % children.length] as string;
    parent = node as Record<string, Json>;
    key = Array.isArray(node) ? Number(k) : k;
    node = (node as Record<string, Json>)[k];
  }
  const replacement = (v: Json): Json => {
    if (parent === undefined || key === undefined) return v;
    (parent as Record<string | number, Json>)[key] = v;
    return copy;
  };
  switch (step.action) {
    case "replace":
      return replacement(step.value);
    case "delete":
      if (parent !== undefined && key !== undefined) {
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key as string];
      }
      return copy;
    case "insert":
      if (node !== null && typeof node === "object" && !Array.isArray(node))
        (node as Record<string, Json>)[step.key] = step.value;
      return copy;
    case "huge":
      return replacement("x".repeat(200_000));
    case "deep": {
      let v: Json = "bottom";
      // Far deeper than any spec field; much deeper would only overflow this test's own structuredClone.
      for (let i = 0; i < 300; i++) v = [v];
      return replacement(v);
    }
  }
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  path: fc.array(fc.nat(50), { maxLength: 8 }),
  action: fc.constantFrom("replace", "replace", "delete", "insert", "huge", "deep"),
  value: fc.jsonValue({ maxDepth: 3 }),
  key: fc.oneof(
    fc.constantFrom("name", "http_port", "envs", "routes", "image"),
    fc.string({ maxLength: 12 }),
  ),
});

function assertWellFormed(result: ValidationResult): void {
  assert.equal(typeof result.valid, "boolean");
  assert.ok(Array.isArray(result.errors) && Array.isArray(result.warnings));
  for (const issue of [...result.errors, ...result.warnings]) {
    assert.equal(typeof issue.path, "string");
    assert.ok(typeof issue.message === "string" && issue.message.length > 0);
    if (issue.line !== undefined) assert.ok(issue.line >= 1 && (issue.column ?? 0) >= 1);
  }
  if (result.valid) {
    assert.equal(result.errors.length, 0);
    assert.ok(result.spec !== undefined);
    const once = normalize(result.spec);
    assert.deepEqual(normalize(once), once, "normalize is idempotent");
    const again = validator.validate(once);
    assert.deepEqual(again.errors, [], "a normalized valid spec stays valid");
  } else {
    assert.ok(result.errors.length > 0, "an invalid spec has at least one error");
  }
}

/** YAML text of a value; the serializer itself recurses, so very deep values are written as JSON (also YAML). */
function toYaml(value: Json): string {
  try {
    return stringify(value, { aliasDuplicateObjects: false });
  } catch {
    return JSON.stringify(value);
  }
}

/** Byte-level damage to the serialized text: flips, truncations, invalid UTF-8, stray YAML syntax. */
function damage(text: string, seed: number): Uint8Array {
  const bytes = Buffer.from(text, "utf8");
  const at = seed % Math.max(1, bytes.length);
  switch (seed % 5) {
    case 0:
      bytes[at] = (bytes[at] ?? 0) ^ (1 + (seed % 255));
      return bytes;
    case 1:
      return bytes.subarray(0, at);
    case 2:
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([0xc3, 0x28]), bytes.subarray(at)]);
    case 3:
      return Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from(" *nothere &a [{: ", "utf8"),
        bytes.subarray(at),
      ]);
    default:
      return Buffer.concat([bytes.subarray(0, at), Buffer.from("\n\t- : :\n", "utf8"), bytes.subarray(at)]);
  }
}

describe("spec validation under random mutation", () => {
  const bases = seeds();

  it("never throws on 10,000 mutated specs and always returns a spec or structured errors", {
    timeout: 600_000,
  }, () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(
        fc.nat(bases.length - 1),
        fc.array(stepArb, { minLength: 1, maxLength: 3 }),
        fc.constantFrom("yaml", "json", "bytes"),
        fc.nat(),
        (base, steps, format, seed) => {
          let spec = bases[base];
          for (const step of steps) spec = mutate(spec, step);
          const text = format === "json" ? JSON.stringify(spec) : toYaml(spec);
          const input = format === "bytes" ? damage(text, seed) : text;
          const result = validator.validateText(input);
          assertWellFormed(result);
          if (result.valid) valid++;
          else invalid++;
        },
      ),
      { numRuns: 10_000, seed: 20261121 },
    );
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    assert.ok(valid > 100 && invalid > 1000, `valid ${valid}, invalid ${invalid}`);
  });

  it("refuses a billion-laughs alias bomb with an error", () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const result = validator.validateText(`${lines.join("\n")}\nname: bomb\n`);
    assert.equal(result.valid, false);
    assert.match(result.errors[0]?.message ?? "", /aliases expand too much/);
  });

  it("refuses a 10 MB file without reading it as YAML", () => {
    const big = `name: big\nfeatures:\n${"  - x\n".repeat(2_000_000)}`;
    const result = validator.validateText(Buffer.from(big));
    assert.equal(result.valid, false);
    assert.match(result.errors[0]?.message ?? "", /^spec is 11\.4 MiB; the largest accepted is 1\.0 MiB$/);
  });

  it("reports deep nesting as an error instead of overflowing the stack", () => {
    const deep = `name: deep\nfeatures: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
    const result = validator.validateText(deep, { maxBytes: 1_000_000 });
    assert.equal(result.valid, false);
    assert.ok(result.errors.length > 0);
  });
});
