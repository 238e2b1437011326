import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { detectSandboxRuntime, parseRunscVersion } from "./detect-runtime.js";

describe("detectSandboxRuntime", () => {
  it("parseRunscVersion takes the version from runsc --version", () => {
    assert.equal(parseRunscVersion("runsc version 0.0~20221219.0\nspec: 1.0.2-dev\n"), "0.0~20221219.0");
  });

  it("falls back to plain processes, with the reasons, when neither runsc nor bwrap exists", async () => {
    const found = await detectSandboxRuntime({
      runscPath: "/nonexistent/runsc",
      bwrapPath: "/nonexistent/bwrap",
    });
    assert.equal(found.kind, "process");
    assert.match(
      found.kind === "process" ? found.reason : "",
      /runsc --version failed: .*; bwrap --version failed/,
    );
  });
});
