/**
 * The spec corpus: every fixture under test/fixtures/specs/ is validated.
 *
 * - `valid/*`: must validate with no errors (YAML, JSON, and deploy templates with `spec:`).
 * - `invalid/*.yaml`: the leading `# expect: LINE:COL PATH: MESSAGE` lines list exactly the errors,
 *   in the order the validator reports them. A whole-file error has no path and is written
 *   `# expect: LINE:COL MESSAGE`, like `formatIssue` prints it.
 * - `invalid/*.json`: JSON has no comments, so the expect lines sit in `NAME.json.expect`.
 *
 * It also runs `slipway spec validate -o json` through the real CLI binary.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createSpecValidator, normalize, type SpecIssue } from "../src/spec/index.js";

/** The repository root: the nearest folder above this file that holds package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("package.json not found above the test file");
    dir = parent;
  }
  return dir;
}

const ROOT = repoRoot();
const FIXTURES = join(ROOT, "test", "fixtures", "specs");
const VALID = join(FIXTURES, "valid");
const INVALID = join(FIXTURES, "invalid");
const SPEC_FILE = /\.(ya?ml|json)$/;

function list(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => SPEC_FILE.test(f))
    .sort();
}

function formatExpected(issue: SpecIssue): string {
  const path = issue.path === "" ? "" : `${issue.path}: `;
  return `${issue.line}:${issue.column} ${path}${issue.message}`;
}

/** The `# expect:` lines of a fixture (or of its `.expect` sidecar for JSON). */
function expectations(file: string, bytes: Buffer): string[] {
  const source = file.endsWith(".json") ? readFileSync(`${file}.expect`, "latin1") : bytes.toString("latin1");
  const out: string[] = [];
  for (const line of source.split("\n")) {
    const m = /^# expect: (.*)$/.exec(line);
    if (m === null) break;
    out.push(Buffer.from(m[1] as string, "latin1").toString("utf8"));
  }
  return out;
}

const validator = createSpecValidator();

describe("spec corpus", () => {
  const valid = list(VALID);
  const invalid = list(INVALID);

  it("holds at least 40 valid and 60 invalid fixtures", () => {
    assert.ok(valid.length >= 40, `only ${valid.length} valid fixtures in ${VALID}`);
    assert.ok(invalid.length >= 60, `only ${invalid.length} invalid fixtures in ${INVALID}`);
  });

  it("includes JSON specs and deploy templates among the valid fixtures", () => {
    assert.ok(valid.filter((f) => f.endsWith(".json")).length >= 3);
    const wrapped = valid.filter((f) => validator.validateText(readFileSync(join(VALID, f))).wrapped);
    assert.ok(wrapped.length >= 3, `only ${wrapped.length} deploy templates`);
  });

  describe("valid fixtures validate with no errors", () => {
    for (const f of valid) {
      it(f, () => {
        const result = validator.validateText(readFileSync(join(VALID, f)));
        assert.deepEqual(result.errors.map(formatExpected), []);
        assert.equal(result.valid, true);
        assert.notEqual(result.spec, undefined);
      });
    }
  });

  describe("valid fixtures normalize to a valid spec, and normalizing twice changes nothing", () => {
    for (const f of valid) {
      it(f, () => {
        const { spec } = validator.validateText(readFileSync(join(VALID, f)));
        assert.ok(spec);
        const once = normalize(spec);
        assert.deepEqual(validator.validate(once).errors, []);
        assert.deepEqual(normalize(once), once);
      });
    }
  });

  describe("invalid fixtures report exactly the expected errors", () => {
    for (const f of invalid) {
      it(f, () => {
        const file = join(INVALID, f);
        const bytes = readFileSync(file);
        const expected = expectations(file, bytes);
        assert.ok(expected.length > 0, `${f} has no "# expect:" line`);
        const result = validator.validateText(bytes);
        assert.equal(result.valid, false);
        assert.equal(result.spec, undefined);
        for (const e of result.errors) {
          assert.ok(e.line !== undefined && e.column !== undefined, `no position: ${JSON.stringify(e)}`);
        }
        assert.deepEqual(result.errors.map(formatExpected), expected);
      });
    }
  });
});

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function slipway(args: string[], input?: Buffer): CliRun {
  const run = spawnSync(process.execPath, [join(ROOT, "bin", "slipway.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
    ...(input === undefined ? {} : { input }),
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function assertIssue(value: unknown): void {
  assert.equal(typeof value, "object");
  const issue = value as Record<string, unknown>;
  assert.equal(typeof issue.path, "string");
  assert.equal(typeof issue.message, "string");
  assert.equal(typeof issue.line, "number");
  assert.equal(typeof issue.column, "number");
}

function parseReport(stdout: string): { valid: boolean; errors: SpecIssue[]; warnings: SpecIssue[] } {
  const report = JSON.parse(stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(report).sort(), ["errors", "valid", "warnings"]);
  assert.equal(typeof report.valid, "boolean");
  assert.ok(Array.isArray(report.errors) && Array.isArray(report.warnings));
  for (const e of report.errors) assertIssue(e);
  for (const w of report.warnings) assertIssue(w);
  return report as unknown as { valid: boolean; errors: SpecIssue[]; warnings: SpecIssue[] };
}

describe("slipway spec validate -o json", () => {
  const validFile = join(VALID, "database-pg-dev.yaml");
  const invalidFile = join(INVALID, "http-port-too-high.yaml");

  it("exits 0 and reports valid with warnings for a valid spec", () => {
    const run = slipway(["spec", "validate", validFile, "-o", "json"]);
    assert.equal(run.status, 0, run.stderr);
    const report = parseReport(run.stdout);
    assert.equal(report.valid, true);
    assert.deepEqual(report.errors, []);
    assert.ok(report.warnings.length > 0, "the database should draw a warning");
  });

  it("exits 1 and lists the errors with positions for an invalid spec", () => {
    const run = slipway(["spec", "validate", "-o", "json", invalidFile]);
    assert.equal(run.status, 1, run.stderr);
    const report = parseReport(run.stdout);
    assert.equal(report.valid, false);
    assert.deepEqual(report.errors, [
      {
        path: "services[0].http_port",
        line: 6,
        column: 16,
        message: "must be between 1 and 65535, got 70000",
      },
    ]);
  });

  it("reads the spec from standard input with -", () => {
    const ok = slipway(["spec", "validate", "-", "-o", "json"], readFileSync(validFile));
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(parseReport(ok.stdout).valid, true);
    const bad = slipway(["spec", "validate", "-", "-o", "json"], readFileSync(invalidFile));
    assert.equal(bad.status, 1, bad.stderr);
    assert.equal(parseReport(bad.stdout).errors[0]?.path, "services[0].http_port");
  });

  it("exits 2 for a missing file", () => {
    const run = slipway(["spec", "validate", join(FIXTURES, "no-such-spec.yaml"), "-o", "json"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /no-such-spec\.yaml: cannot read the spec: no such file/);
  });

  it("exits 2 when the FILE argument is missing", () => {
    const run = slipway(["spec", "validate", "-o", "json"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /missing FILE/);
  });
});
