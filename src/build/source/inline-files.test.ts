import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type InlineFile, validateInlineFiles } from "./inline-files.js";

const f = (path: string, content = "x", extra: Partial<InlineFile> = {}): InlineFile => ({
  path,
  content,
  ...extra,
});

describe("validateInlineFiles", () => {
  it("normalizes paths and decodes content", () => {
    const result = validateInlineFiles([
      f("./src//index.js", "console.log('é')"),
      f("bin/start.sh", "#!/bin/sh\n", { executable: true }),
      f("logo.bin", Buffer.from([0, 255, 1]).toString("base64"), { encoding: "base64" }),
      f("a.b/c..d/e", ""),
    ]);
    assert.deepEqual(result, {
      ok: true,
      files: [
        { path: "src/index.js", content: Buffer.from("console.log('é')"), executable: false },
        { path: "bin/start.sh", content: Buffer.from("#!/bin/sh\n"), executable: true },
        { path: "logo.bin", content: Buffer.from([0, 255, 1]), executable: false },
        { path: "a.b/c..d/e", content: Buffer.alloc(0), executable: false },
      ],
    });
  });

  const bad: [string, InlineFile[], [string, string][]][] = [
    ["an empty path", [f("")], [["files[0].path", "files[0].path: must not be empty"]]],
    [
      "an absolute path",
      [f("ok"), f("/etc/passwd")],
      [["files[1].path", 'files[1].path: "/etc/passwd" is absolute; paths are relative to the source root']],
    ],
    [
      "a .. segment",
      [f("a"), f("b"), f("../etc/passwd")],
      [["files[2].path", 'files[2].path: "../etc/passwd" leaves the source tree ("..")']],
    ],
    [
      "a .. in the middle",
      [f("a/../../b")],
      [["files[0].path", 'files[0].path: "a/../../b" leaves the source tree ("..")']],
    ],
    [
      "a NUL",
      [f("a\u0000b")],
      [["files[0].path", 'files[0].path: "a\\u0000b" holds a control character (U+0000)']],
    ],
    [
      "a newline",
      [f("a\nb")],
      [["files[0].path", 'files[0].path: "a\\nb" holds a control character (U+000A)']],
    ],
    [
      "a backslash",
      [f("a\\b")],
      [["files[0].path", 'files[0].path: "a\\\\b" holds a backslash; use "/" between folders']],
    ],
    [
      "the root",
      [f("./")],
      [["files[0].path", 'files[0].path: "./" names the source root, not an entry in it']],
    ],
    ["a folder", [f("src/")], [["files[0].path", 'files[0].path: "src/" names a folder, not a file']]],
    [
      ".git internals",
      [f(".git/config"), f("sub/.GIT/hooks/pre-commit")],
      [
        ["files[0].path", 'files[0].path: ".git/config" lies in .git; git internals cannot be written'],
        [
          "files[1].path",
          'files[1].path: "sub/.GIT/hooks/pre-commit" lies in .git; git internals cannot be written',
        ],
      ],
    ],
    [
      "a duplicate after normalization",
      [f("a/b"), f("c"), f("./a//b")],
      [["files[2].path", 'files[2].path: "./a//b" names the same file as files[0].path ("a/b")']],
    ],
    [
      "a file that is also a folder",
      [f("a/b/c"), f("a")],
      [["files[1].path", 'files[1].path: "a" is a file, but files[0].path ("a/b/c") puts a file inside it']],
    ],
    [
      "a file over the per-file limit",
      [f("big.txt", "é".repeat(6))],
      [["files[0].content", 'files[0].content: "big.txt" is 12 bytes, over the limit of 10 bytes per file']],
    ],
    [
      "invalid base64",
      [f("a", "abc", { encoding: "base64" }), f("b", "YW=j", { encoding: "base64" })],
      [
        ["files[0].content", 'files[0].content: "a" is not valid base64'],
        ["files[1].content", 'files[1].content: "b" is not valid base64'],
      ],
    ],
    [
      "an unknown encoding",
      [f("a", "x", { encoding: "hex" as "utf8" })],
      [["files[0].encoding", 'files[0].encoding: must be "utf8" or "base64", got "hex"']],
    ],
  ];
  for (const [name, files, expected] of bad) {
    it(`rejects ${name}`, () => {
      const result = validateInlineFiles(files, { maxFileBytes: 10 });
      assert.deepEqual(result, { ok: false, errors: expected.map(([path, message]) => ({ path, message })) });
    });
  }

  it("counts the total size in decoded bytes", () => {
    const result = validateInlineFiles([f("a", "12345"), f("b", "123456")], { maxTotalBytes: 10 });
    assert.deepEqual(result, {
      ok: false,
      errors: [{ path: "files", message: "files: 11 bytes in total, over the limit of 10 bytes" }],
    });
    assert.equal(validateInlineFiles([f("a", "12345"), f("b", "12345")], { maxTotalBytes: 10 }).ok, true);
  });

  it("rejects too many files before looking at them", () => {
    const files = Array.from({ length: 4 }, (_, i) => f(`f${i}`));
    assert.deepEqual(validateInlineFiles(files, { maxFiles: 3 }), {
      ok: false,
      errors: [{ path: "files", message: "files: 4 files, over the limit of 3" }],
    });
  });

  it("applies the default limits: 1 MiB per file, 8 MiB in total, 1000 files", () => {
    const mib = "a".repeat(1024 * 1024);
    assert.equal(validateInlineFiles([f("a", mib)]).ok, true);
    assert.equal(validateInlineFiles([f("a", `${mib}a`)]).ok, false);
    const nine = Array.from({ length: 9 }, (_, i) => f(`f${i}`, mib));
    assert.equal(validateInlineFiles(nine.slice(0, 8)).ok, true);
    assert.equal(validateInlineFiles(nine).ok, false);
    const many = Array.from({ length: 1001 }, (_, i) => f(`f${i}`));
    assert.equal(validateInlineFiles(many.slice(0, 1000)).ok, true);
    assert.equal(validateInlineFiles(many).ok, false);
  });
});
