/**
 * The path of a SECRET from an app spec to an instance's env, as the integrated server will run
 * it: validate + normalize, encrypt with the key file of a data directory, store as JSON, read the
 * key again (a restart), decrypt, resolve the run-time env with the artifact's env.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { appAddress, resolveRuntimeEnv } from "../src/runtime/env/index.js";
import {
  decryptSpecSecrets,
  encryptSpecSecrets,
  loadSecretKey,
  REDACTED,
  redactSpecSecrets,
  secretContext,
} from "../src/secrets/index.js";
import { type AppSpec, createSpecValidator, normalize } from "../src/spec/index.js";

const dataDir = await mkdtemp(join(tmpdir(), `slipway-secret-env-${process.pid}-`));
after(() => rm(dataDir, { recursive: true, force: true }));

const yaml = `
name: shop
envs:
  - key: STRIPE_KEY
    value: sk_live_123
    type: SECRET
  - key: API_BASE
    value: \${APP_URL}/api
services:
  - name: api
    git: { repo_clone_url: "https://g.test/shop.git", branch: main }
    routes: [{ path: /api }]
    envs:
      - key: DATABASE_URL
        value: postgres://shop:pa$$word@db.internal:5432/shop
        type: SECRET
        scope: RUN_TIME
      - key: SELF
        value: \${_self.PUBLIC_URL}
      - key: BUILD_ONLY
        value: npm-token
        type: SECRET
        scope: BUILD_TIME
  - name: web
    git: { repo_clone_url: "https://g.test/shop.git", branch: main }
    routes: [{ path: / }]
    envs:
      - key: API
        value: \${api.PRIVATE_URL}
`;

test("a SECRET is stored encrypted, shown redacted and reaches the instance decrypted", async () => {
  const checked = createSpecValidator().validateText(yaml);
  assert.deepEqual(checked.errors, []);
  const spec = normalize(checked.spec as AppSpec);
  const context = secretContext({ namespace: "team-a", name: "shop" });

  const stored = JSON.stringify(encryptSpecSecrets(spec, await loadSecretKey({ dataDir }), context));
  for (const plain of ["sk_live_123", "pa$$word", "npm-token"]) assert.ok(!stored.includes(plain), plain);
  const shown = JSON.stringify(redactSpecSecrets(JSON.parse(stored) as AppSpec));
  assert.ok(!shown.includes("sk_live_123") && !shown.includes(REDACTED), "the API shows envelopes");
  assert.deepEqual(
    createSpecValidator().validate(JSON.parse(shown)).errors,
    [],
    "a stored spec still validates",
  );

  const restarted = await loadSecretKey({ dataDir });
  const running = decryptSpecSecrets(JSON.parse(stored) as AppSpec, restarted, context);
  const { appDomain, appUrl } = appAddress(running, { defaultDomain: "shop.apps.test", tls: true });
  const result = resolveRuntimeEnv({
    spec: running,
    component: { kind: "service", name: "api" },
    facts: {
      appId: "uid-1",
      appDomain,
      appUrl,
      components: { api: { commitHash: "abc123", privateUrl: "http://api:8080" }, web: {} },
    },
    // The artifact keeps the raw spec value; the resolved spec value wins.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a DO bindable variable, not a template slot
    artifactEnv: { PATH: "/workspace/.venv/bin:/usr/local/bin:/usr/bin:/bin", API_BASE: "${APP_URL}/api" },
  });
  assert.deepEqual(result, {
    ok: true,
    env: {
      API_BASE: "https://shop.apps.test/api",
      DATABASE_URL: "postgres://shop:pa$$word@db.internal:5432/shop",
      PATH: "/workspace/.venv/bin:/usr/local/bin:/usr/bin:/bin",
      PORT: "8080",
      SELF: "https://shop.apps.test/api",
      STRIPE_KEY: "sk_live_123",
    },
  });
});
