import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { runscWrapperScript, writeRunscWrapper } from "./runsc-wrapper.js";

test("runscWrapperScript bounds delete and passes everything else to runsc with its own root", () => {
  const text = runscWrapperScript({
    runscPath: "/usr/bin/runsc",
    stateRoot: "/w/it's",
    deleteTimeoutSeconds: 7,
  });
  assert.match(text, /^#!\/bin\/sh\n/);
  assert.match(text, /\nRUNSC='\/usr\/bin\/runsc'\n/);
  assert.match(text, /\nset -- --root '\/w\/it'\\''s' --overlay2=none "\$@"\n/);
  assert.match(text, /timeout -k 2 7 "\$RUNSC" "\$@"\n {4}exit 0/);
  assert.match(text, /\nexec "\$RUNSC" "\$@"\n$/);
  assert.doesNotMatch(text, /nsenter|unshare/, "no namespace handling without a namespace");
});

test("with a namespace, create and run put the address back and hide /proc/sys/net first", () => {
  const text = runscWrapperScript({
    stateRoot: "/w/state",
    netns: { path: "/var/run/netns/slw-b-5", address: "10.89.3.5/26" },
  });
  assert.match(
    text,
    /nsenter --net='\/var\/run\/netns\/slw-b-5' ip addr replace '10.89.3.5\/26' dev eth0 \|\| exit 1/,
  );
  assert.match(text, /nsenter --net='\/var\/run\/netns\/slw-b-5' ip link set eth0 up \|\| exit 1/);
  assert.match(
    text,
    /exec unshare --mount --propagation private -- sh -c 'mount -t tmpfs -o size=4k,mode=555 slipway-netns \/proc\/sys\/net && exec "\$0" "\$@"' "\$RUNSC" "\$@"/,
  );
});

test("the written wrapper hands runsc exactly its arguments, behind --root and --overlay2=none", async () => {
  const dir = await mkdtemp(join(tmpdir(), "slipway-wrapper-"));
  try {
    // A stand-in runsc that records its argv: the script's argument handling is what is tested.
    const fake = join(dir, "fake runsc");
    await writeFile(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/argv'\n`);
    await chmod(fake, 0o755);
    const wrapper = await writeRunscWrapper({ dir, runscPath: fake, stateRoot: join(dir, "st ate") });
    await promisify(execFile)(wrapper, ["--log-format", "json", "start", "a b"]);
    const argv = (await readFile(join(dir, "argv"), "utf8")).split("\n").slice(0, -1);
    assert.deepEqual(argv, [
      "--root",
      join(dir, "st ate"),
      "--overlay2=none",
      "--log-format",
      "json",
      "start",
      "a b",
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
