import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { maskUrlCredentials } from "./mask-url.js";

describe("maskUrlCredentials", () => {
  it("masks user:password and a bare token in every URL of a message", () => {
    assert.equal(
      maskUrlCredentials(
        "fatal: unable to access 'https://bob:s3cr%40t@example.com/r.git/': 403; see http://tok@h/x",
      ),
      "fatal: unable to access 'https://***@example.com/r.git/': 403; see http://***@h/x",
    );
  });
  it("leaves URLs without credentials and scp-like addresses alone", () => {
    assert.equal(maskUrlCredentials("https://example.com/a@b"), "https://example.com/a@b");
    assert.equal(maskUrlCredentials("file:///tmp/repo"), "file:///tmp/repo");
  });
});
