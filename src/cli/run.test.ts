import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recordingIo } from "./recording-io.js";
import { helpFor, helpRequested, runCli } from "./run.js";

describe("help for a command", () => {
  it("sees --help and -h before a --, not after it", () => {
    assert.equal(helpRequested(["apps", "create", "--help"]), true);
    assert.equal(helpRequested(["server", "-h"]), true);
    assert.equal(helpRequested(["spec", "validate", "--", "--help"]), false);
    assert.equal(helpRequested(["apps", "list"]), false);
  });

  it("prints the usage of the verb named, of every verb of a group, or everything", () => {
    const create = helpFor(["apps", "create", "--spec", "x.yaml", "--help"]);
    assert.match(create, /^Usage:\n {2}slipway apps create --spec FILE/);
    assert.doesNotMatch(create, /create-deployment/, "a verb is matched as a word, not a prefix");
    const apps = helpFor(["apps", "--help"]);
    assert.match(apps, /slipway apps list\n/);
    assert.match(apps, /slipway apps restart APP/);
    assert.doesNotMatch(apps, /slipway server/);
    const server = helpFor(["server", "--data-dir", "/x", "--help"]);
    assert.match(server, /slipway server \[--data-dir DIR\]/);
    assert.match(server, /--http-listen/, "the lines indented under the entry come with it");
    assert.match(helpFor(["stop", "--help"]), /slipway stop --all/);
    assert.match(helpFor(["nonsense", "--help"]), /^slipway: a self-hostable platform-as-a-service/);
  });

  it("answers `slipway apps create --help` with exit 0 on stdout instead of an option error", async () => {
    const { io, out, err } = recordingIo();
    assert.equal(await runCli(["apps", "create", "--help"], io), 0);
    assert.match(out.join(""), /slipway apps create/);
    assert.deepEqual(err, []);
  });
});
