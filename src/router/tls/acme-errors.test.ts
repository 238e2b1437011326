import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../../resources/index.js";
import { acmeFailure } from "./acme-errors.js";

const url = "https://acme.example/dir";
const netError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe("acmeFailure", () => {
  it("says the directory is unreachable for network errors, also when wrapped", () => {
    const err = acmeFailure(
      "a.example.com",
      url,
      "account",
      new Error("x", { cause: netError("ENOTFOUND") }),
    );
    assert.equal(err.code, "unavailable");
    assert.match(
      err.message,
      /^cannot get an ACME certificate for a\.example\.com from https:\/\/acme\.example\/dir: the ACME directory is unreachable \(ENOTFOUND\)/,
    );
  });

  it("says the directory's TLS is not trusted and what to pass", () => {
    const err = acmeFailure("a.example.com", url, "account", netError("SELF_SIGNED_CERT_IN_CHAIN"));
    assert.equal(err.code, "unavailable");
    assert.match(err.message, /not trusted .*CA bundle/);
  });

  it("recognises rate limits in the CA's words", () => {
    const detail =
      "too many certificates (5) already issued for this exact set of identifiers in the last 168h0m0s";
    const err = acmeFailure("a.example.com", url, "order", new Error(detail));
    assert.equal(err.code, "unavailable");
    assert.match(err.message, /a\.example\.com.*rate limiting.*wait and retry later/);
  });

  it("explains a failed challenge with DNS and port 80 advice", () => {
    const err = acmeFailure("a.example.com", url, "challenge", new Error("connection refused"));
    assert.equal(err.code, "failed_precondition");
    assert.match(
      err.message,
      /HTTP-01 challenge failed \(connection refused\).*a\.example\.com's DNS points here/,
    );
  });

  it("keeps other failures with the step and the CA's words, and passes SlipwayErrors through", () => {
    const err = acmeFailure("a.example.com", url, "finalize", new Error("badCSR"));
    assert.equal(err.code, "internal");
    assert.match(err.message, /the finalize step failed: badCSR/);
    const own = new SlipwayError("invalid_argument", "no");
    assert.equal(acmeFailure("a.example.com", url, "order", own), own);
  });
});
