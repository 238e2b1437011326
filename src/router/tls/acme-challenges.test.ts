import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type AcmeChallengeResponder,
  AcmeChallengeStore,
  type ChallengeRequest,
  startAcmeChallengeResponder,
} from "./acme-challenges.js";

describe("ACME challenge responder", () => {
  const store = new AcmeChallengeStore();
  const seen: ChallengeRequest[] = [];
  let responder: AcmeChallengeResponder | undefined;
  const url = (path: string) => `http://127.0.0.1:${responder?.port}${path}`;

  before(async () => {
    responder = await startAcmeChallengeResponder({ store, onRequest: (r) => seen.push(r) });
  });
  after(async () => {
    await responder?.close();
  });

  it("answers a pending token with its key authorization as text/plain", async () => {
    store.set("tok-1", "tok-1.thumb");
    const res = await fetch(url("/.well-known/acme-challenge/tok-1"));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain");
    assert.equal(await res.text(), "tok-1.thumb");
    assert.deepEqual(seen.at(-1), { host: `127.0.0.1:${responder?.port}`, token: "tok-1", answered: true });
  });

  it("answers 404 for unknown or deleted tokens, other paths and other methods", async () => {
    store.set("tok-2", "tok-2.thumb");
    store.delete("tok-2");
    assert.equal((await fetch(url("/.well-known/acme-challenge/tok-2"))).status, 404);
    assert.equal((await fetch(url("/.well-known/acme-challenge/"))).status, 404);
    assert.equal((await fetch(url("/tok-1"))).status, 404);
    const post = await fetch(url("/.well-known/acme-challenge/tok-1"), { method: "POST" });
    assert.equal(post.status, 404);
    assert.deepEqual(
      seen.slice(-4).map((r) => r.answered),
      [false, false, false, false],
    );
  });

  it("listens on loopback by default", () => {
    assert.equal(responder?.addr, "127.0.0.1");
  });
});
