import assert from "node:assert/strict";
import { test } from "node:test";
import { checkAcmeFlags, startServerAcme } from "./server-acme.js";

test("checkAcmeFlags names the flag that is wrong or alone", () => {
  assert.doesNotThrow(() => checkAcmeFlags({}));
  assert.doesNotThrow(() => checkAcmeFlags({ directory: "https://acme.example/dir", email: "a@b.c" }));
  assert.throws(() => checkAcmeFlags({ email: "a@b.c" }), /--acme-email needs --acme-directory URL/);
  assert.throws(() => checkAcmeFlags({ caFile: "/ca.pem" }), /--acme-ca-file needs --acme-directory URL/);
  assert.throws(
    () => checkAcmeFlags({ directory: "http://acme.example/dir" }),
    /--acme-directory must be an https:\/\/ URL of an ACME directory, got "http:\/\/acme.example\/dir"/,
  );
});

test("without --acme-directory nothing starts and every host keeps the local CA", async () => {
  assert.equal(await startServerAcme({}, "/nonexistent", "localhost", () => {}), undefined);
});

test("an unreadable --acme-ca-file is a clear error before anything listens", async () => {
  await assert.rejects(
    startServerAcme(
      { directory: "https://127.0.0.1:1/dir", caFile: "/nonexistent/ca.pem" },
      "/nonexistent",
      "localhost",
      () => {},
    ),
    /--acme-ca-file \/nonexistent\/ca.pem cannot be read/,
  );
});
