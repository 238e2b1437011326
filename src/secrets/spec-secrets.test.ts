import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SlipwayError } from "../resources/index.js";
import type { AppSpec } from "../spec/index.js";
import { encryptValue, isEnvelope } from "./envelope.js";
import { generateSecretKey, keyring } from "./secret-key.js";
import {
  decryptSpecSecrets,
  encryptSpecSecrets,
  hasPlaintextSecrets,
  REDACTED,
  redactSpecSecrets,
  secretContext,
} from "./spec-secrets.js";

const key = generateSecretKey();
const ctx = secretContext({ namespace: "team-a", name: "shop" });
const git = { repo_clone_url: "https://g.test/a.git" };

function spec(): AppSpec {
  return {
    name: "shop",
    envs: [
      { key: "APP_SECRET", value: "app-pw", type: "SECRET" },
      { key: "APP_PLAIN", value: "visible" },
    ],
    services: [
      {
        name: "api",
        git,
        envs: [
          { key: "TOKEN", value: "tok-123", type: "SECRET", scope: "RUN_TIME" },
          { key: "NO_VALUE", type: "SECRET" },
          { key: "LOOKS_LIKE", value: "slipway:v1:not-a-secret", type: "GENERAL" },
        ],
      },
    ],
    workers: [{ name: "w", git, envs: [{ key: "W", value: "w-pw", type: "SECRET", scope: "BUILD_TIME" }] }],
    static_sites: [{ name: "site", git, envs: [{ key: "S", value: "", type: "SECRET" }] }],
    jobs: [{ name: "j", git, envs: [{ key: "J", value: "j-pw", type: "SECRET" }] }],
  };
}

/** Every SECRET value with its path, as [path, value]. */
function secrets(s: AppSpec): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  s.envs?.forEach((e, i) => {
    if (e.type === "SECRET") out.push([`envs[${i}]`, e.value]);
  });
  for (const list of ["services", "static_sites", "workers", "jobs", "functions"] as const) {
    (s[list] ?? []).forEach((c, ci) => {
      c.envs?.forEach((e, i) => {
        if (e.type === "SECRET") out.push([`${list}[${ci}].envs[${i}]`, e.value]);
      });
    });
  }
  return out;
}

describe("encryptSpecSecrets / decryptSpecSecrets", () => {
  test("round trip: every SECRET is encrypted, nothing else changes, decrypt gives the spec back", () => {
    const plain = spec();
    const stored = encryptSpecSecrets(plain, key, ctx);
    assert.deepEqual(plain, spec(), "the input is not modified");
    for (const [path, value] of secrets(stored)) {
      if (path === "services[0].envs[1]") assert.equal(value, undefined);
      else assert.ok(value !== undefined && isEnvelope(value), `${path}: ${value}`);
    }
    assert.equal(stored.envs?.[1]?.value, "visible");
    assert.equal(stored.services?.[0]?.envs?.[2]?.value, "slipway:v1:not-a-secret");
    assert.ok(!JSON.stringify(stored).includes("tok-123"));
    assert.deepEqual(decryptSpecSecrets(stored, key, ctx), plain);
  });

  test("an already-encrypted value is kept as it is (a client sending back what it read)", () => {
    const stored = encryptSpecSecrets(spec(), key, ctx);
    assert.deepEqual(encryptSpecSecrets(stored, key, ctx), stored);
  });

  test("with the previous stored spec, an unchanged plaintext keeps its envelope and a changed one gets a new one", () => {
    const stored = encryptSpecSecrets(spec(), key, ctx);
    const resent = spec();
    (resent.jobs?.[0]?.envs?.[0] ?? assert.fail()).value = "j-pw-2";
    const again = encryptSpecSecrets(resent, key, ctx, { previous: stored });
    assert.equal(again.envs?.[0]?.value, stored.envs?.[0]?.value);
    assert.equal(again.services?.[0]?.envs?.[0]?.value, stored.services?.[0]?.envs?.[0]?.value);
    assert.notEqual(again.jobs?.[0]?.envs?.[0]?.value, stored.jobs?.[0]?.envs?.[0]?.value);
    assert.equal(decryptSpecSecrets(again, key, ctx).jobs?.[0]?.envs?.[0]?.value, "j-pw-2");
    const moved = spec();
    (moved.workers?.[0] ?? assert.fail()).name = "w2";
    const other = encryptSpecSecrets(moved, key, ctx, { previous: stored });
    assert.notEqual(
      other.workers?.[0]?.envs?.[0]?.value,
      stored.workers?.[0]?.envs?.[0]?.value,
      "another component",
    );
  });

  test("a spec with no secrets is unchanged", () => {
    const s: AppSpec = { name: "plain", envs: [{ key: "A", value: "1" }], services: [{ name: "api", git }] };
    assert.deepEqual(encryptSpecSecrets(s, key, ctx), s);
    assert.deepEqual(decryptSpecSecrets(s, key, ctx), s);
    assert.deepEqual(redactSpecSecrets(s), s);
    assert.equal(hasPlaintextSecrets(s), false);
  });

  test("a flipped byte in a stored value fails with its path", () => {
    const stored = encryptSpecSecrets(spec(), key, ctx);
    const env = stored.services?.[0]?.envs?.[0] ?? assert.fail();
    const parts = (env.value ?? "").split(":");
    const body = Buffer.from(parts[4] ?? "", "base64url");
    body[0] = (body[0] ?? 0) ^ 1;
    env.value = [...parts.slice(0, 4), body.toString("base64url")].join(":");
    assert.throws(
      () => decryptSpecSecrets(stored, key, ctx),
      (err: unknown) =>
        err instanceof SlipwayError &&
        err.code === "failed_precondition" &&
        err.message ===
          `SECRET value cannot be decrypted: services[0].envs[0].value: this encrypted value does not decrypt with key ${key.id}: it was changed after it was encrypted, or it belongs to another app; set the value again` &&
        err.details.length === 1,
    );
  });

  test("the wrong key fails for every value, naming the key it needs", () => {
    const stored = encryptSpecSecrets(spec(), key, ctx);
    const other = generateSecretKey();
    assert.throws(
      () => decryptSpecSecrets(stored, other, ctx),
      (err: unknown) =>
        err instanceof SlipwayError &&
        err.details.length === 5 &&
        err.details.every((d) =>
          d.message.includes(`encrypted with key ${key.id}, which this server does not have`),
        ) &&
        err.message.endsWith("(and 4 more)"),
    );
  });

  test("another app's envelope is refused on store and on decrypt", () => {
    const theirs = encryptValue("their-pw", key, secretContext({ namespace: "team-b", name: "shop" }));
    const s: AppSpec = { name: "shop", envs: [{ key: "STOLEN", value: theirs, type: "SECRET" }] };
    assert.throws(() => encryptSpecSecrets(s, key, ctx), {
      code: "invalid_argument",
      message: /envs\[0\]\.value: this encrypted value does not decrypt/,
    });
    assert.throws(() => decryptSpecSecrets(s, key, ctx), { code: "failed_precondition" });
  });

  test("after a key rotation, old values decrypt and new ones use the new key", () => {
    const stored = encryptSpecSecrets(spec(), key, ctx);
    const next = generateSecretKey();
    const ring = keyring(next, key);
    const added = structuredClone(stored);
    added.envs?.push({ key: "NEW", value: "n", type: "SECRET" });
    const restored = encryptSpecSecrets(added, ring, ctx);
    assert.ok(restored.envs?.[2]?.value?.startsWith(`slipway:v1:${next.id}:`));
    assert.equal(restored.envs?.[0]?.value, stored.envs?.[0]?.value);
    assert.equal(decryptSpecSecrets(restored, ring, ctx).envs?.[2]?.value, "n");
  });

  test("DO's EV[...] values are refused with what to do", () => {
    const s: AppSpec = {
      name: "shop",
      services: [{ name: "api", git, envs: [{ key: "K", value: "EV[1:abc:def]", type: "SECRET" }] }],
    };
    assert.throws(() => encryptSpecSecrets(s, key, ctx), {
      code: "invalid_argument",
      message:
        "SECRET value cannot be stored: services[0].envs[0].value: DigitalOcean encrypted this value with its own key, which Slipway cannot read; put the plain value here (Slipway encrypts it when it stores the spec)",
    });
    assert.throws(() => decryptSpecSecrets(s, key, ctx), { code: "failed_precondition" });
  });

  test("the [redacted] placeholder sent back is refused", () => {
    const s: AppSpec = { name: "shop", envs: [{ key: "K", value: REDACTED, type: "SECRET" }] };
    assert.throws(() => encryptSpecSecrets(s, key, ctx), /placeholder the API shows/);
  });

  test("a SECRET stored before encryption existed passes through decrypt", () => {
    assert.deepEqual(decryptSpecSecrets(spec(), key, ctx), spec());
    assert.equal(hasPlaintextSecrets(spec()), true);
    assert.equal(hasPlaintextSecrets(encryptSpecSecrets(spec(), key, ctx)), false);
  });
});

describe("redactSpecSecrets", () => {
  test("shows envelopes as they are and never a plaintext SECRET", () => {
    const stored = encryptSpecSecrets(spec(), key, ctx);
    assert.deepEqual(redactSpecSecrets(stored), stored);
    const shown = redactSpecSecrets(spec());
    for (const [path, value] of secrets(shown)) {
      assert.equal(value, path === "services[0].envs[1]" ? undefined : REDACTED, path);
    }
    assert.equal(shown.envs?.[1]?.value, "visible");
    for (const word of ["app-pw", "tok-123", "w-pw", "j-pw"])
      assert.ok(!JSON.stringify(shown).includes(word));
  });
});
