import assert from "node:assert/strict";
import { test } from "node:test";
import { runscWrapperScript } from "./runsc-wrapper.js";

test("runscWrapperScript bounds delete and passes everything else to runsc with its own root", () => {
  const text = runscWrapperScript({
    runscPath: "/usr/bin/runsc",
    stateRoot: "/w/it's",
    deleteTimeoutSeconds: 7,
  });
  assert.match(text, /^#!\/bin\/sh\n/);
  assert.match(text, /timeout -k 2 7 '\/usr\/bin\/runsc' --root '\/w\/it'\\''s' "\$@"\n {4}exit 0/);
  assert.match(text, /\nexec '\/usr\/bin\/runsc' --root '\/w\/it'\\''s' "\$@"\n$/);
});
