import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { recordingIo } from "./recording-io.js";
import { runCli } from "./run.js";

const STACK = {
  name: "bookworm-0123456789ab",
  version: "0123456789ab",
  definition: { suite: "bookworm", variant: "minbase", packages: ["nodejs"] },
  created_at: "2026-11-22T00:00:00.000Z",
  size_bytes: 956_000_000,
  runtimes: { node: "v18.19.0", python3: "3.11.2", go: "1.19.8" },
  rootfs: "rootfs",
};

describe("slipway stack", () => {
  let root = "";
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "stack-cli-"));
    await mkdir(join(root, STACK.name));
    await writeFile(join(root, STACK.name, "stack.json"), JSON.stringify(STACK));
    await mkdir(join(root, "bookworm-ffffffffffff.tmp"));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it("stack list -o json prints the stacks and skips builds in progress", async () => {
    const { io, out } = recordingIo();
    assert.equal(await runCli(["stack", "list", "--root", root, "-o", "json"], io), 0);
    assert.deepEqual(JSON.parse(out.join("")), [STACK]);
  });

  it("stack list prints a table with the runtimes", async () => {
    const { io, out } = recordingIo();
    assert.equal(await runCli(["stack", "list", "--root", root], io), 0);
    const [header, row] = out.join("").trimEnd().split("\n");
    assert.match(header ?? "", /^Name\s+Created\s+Size\s+Node\s+Python\s+Go$/);
    assert.match(
      row ?? "",
      /^bookworm-0123456789ab\s+2026-11-22T00:00:00.000Z\s+956 MB\s+v18.19.0\s+3.11.2\s+1.19.8$/,
    );
  });

  it("stack list exits 1 and names a broken stack.json", async () => {
    const broken = await mkdtemp(join(tmpdir(), "stack-cli-broken-"));
    await mkdir(join(broken, "bookworm-x"));
    await writeFile(join(broken, "bookworm-x", "stack.json"), "{");
    const { io, err } = recordingIo();
    assert.equal(await runCli(["stack", "list", "--root", broken], io), 1);
    assert.match(err.join(""), /bookworm-x\/stack.json: not JSON/);
    await rm(broken, { recursive: true });
  });

  it("stack list of a root that does not exist is empty", async () => {
    const { io, out } = recordingIo();
    assert.equal(await runCli(["stack", "list", "--root", join(root, "nope"), "-o", "json"], io), 0);
    assert.deepEqual(JSON.parse(out.join("")), []);
  });

  it("rejects unknown flags and bad formats with exit 2", async () => {
    assert.equal(await runCli(["stack", "build", "--bogus"], recordingIo().io), 2);
    assert.equal(await runCli(["stack", "list", "-o", "xml"], recordingIo().io), 2);
    assert.equal(await runCli(["stack", "build", "extra"], recordingIo().io), 2);
  });
});
