/**
 * SECRET env values of an app spec, encrypted at rest: the API encrypts a spec before it is
 * stored and redacts it in responses; the runtime and the builder decrypt it just before use.
 */
import { SlipwayError } from "../resources/index.js";
import {
  type AppSpec,
  COMPONENT_LISTS,
  type EnvVarSpec,
  formatPath,
  type PathSegment,
} from "../spec/index.js";
import { encryptValue, isDigitalOceanEncrypted, isEnvelope, openEnvelope } from "./envelope.js";
import { asKeyring, type Keyring, type SecretKey } from "./secret-key.js";

/** What the API shows for a SECRET value that is not encrypted (a spec stored before encryption). */
export const REDACTED = "[redacted]";

/** Where a value was refused, and why. */
interface Problem {
  path: string;
  message: string;
}

/**
 * The context envelopes of an App's spec are bound to: `<namespace>/<name>` of the App resource
 * (both never change). Deployments and builds of the App use the App's context.
 */
export function secretContext(app: { namespace?: string; name: string }): string {
  return `${app.namespace ?? ""}/${app.name}`;
}

/** Options of `encryptSpecSecrets`. */
export interface EncryptOptions {
  /**
   * The stored (encrypted) spec this one replaces. A plaintext equal to what the same env (same
   * component and key) held keeps its old envelope, so sending the same secret again changes
   * nothing in the stored spec (no spurious diff, no redeploy). Default none.
   */
  previous?: AppSpec;
}

/**
 * A copy of `spec` with every SECRET value (app-level and component envs) encrypted with `key`
 * (a keyring's primary) for `context`. A value that is already an envelope is kept as it is when
 * it opens with the keyring for this context (what a client sends back after reading the spec);
 * GENERAL values and absent values are untouched.
 *
 * Throws `invalid_argument` with one detail per refused value: an envelope that does not open
 * (another server's key, another app's value, changed), DO's `EV[...]` (DO's key is not ours: the
 * user must give the plain value), or the `[redacted]` placeholder sent back.
 */
export function encryptSpecSecrets(
  spec: AppSpec,
  key: SecretKey | Keyring,
  context: string,
  options: EncryptOptions = {},
): AppSpec {
  const ring = asKeyring(key);
  const problems: Problem[] = [];
  const before = envelopesOf(options.previous);
  const out = mapSecretValues(spec, (value, path, slot) => {
    if (isEnvelope(value)) {
      const opened = openEnvelope(value, ring, context);
      if (!opened.ok) problems.push({ path, message: `this encrypted value ${opened.message}` });
      return value;
    }
    if (isDigitalOceanEncrypted(value)) {
      problems.push({
        path,
        message:
          "DigitalOcean encrypted this value with its own key, which Slipway cannot read; put the plain value here (Slipway encrypts it when it stores the spec)",
      });
      return value;
    }
    if (value === REDACTED) {
      problems.push({
        path,
        message: `${REDACTED} is the placeholder the API shows; put the plain value here`,
      });
      return value;
    }
    const kept = before.get(slot);
    if (kept !== undefined) {
      const opened = openEnvelope(kept, ring, context);
      if (opened.ok && opened.value === value) return kept;
    }
    return encryptValue(value, ring.primary, context);
  });
  if (problems.length > 0) throw refused("invalid_argument", "cannot be stored", problems);
  return out;
}

/**
 * A copy of `spec` with every SECRET envelope replaced by its plaintext. A SECRET value that is
 * not an envelope (stored before encryption existed) passes through as it is.
 *
 * Throws `failed_precondition` with one detail per value that does not decrypt: malformed, a key
 * the keyring lacks, changed after encryption or bound to another context, or DO's `EV[...]`.
 */
export function decryptSpecSecrets(spec: AppSpec, keys: SecretKey | Keyring, context: string): AppSpec {
  const ring = asKeyring(keys);
  const problems: Problem[] = [];
  const out = mapSecretValues(spec, (value, path) => {
    if (isDigitalOceanEncrypted(value)) {
      problems.push({
        path,
        message: "is encrypted by DigitalOcean, whose key Slipway does not have; set the value again",
      });
      return "";
    }
    if (!isEnvelope(value)) return value;
    const opened = openEnvelope(value, ring, context);
    if (opened.ok) return opened.value;
    problems.push({ path, message: `this encrypted value ${opened.message}` });
    return "";
  });
  if (problems.length > 0) throw refused("failed_precondition", "cannot be decrypted", problems);
  return out;
}

/**
 * A copy of `spec` fit for API output: SECRET envelopes (and DO's `EV[...]`) are shown as they are,
 * as DO shows its ciphertext; any other SECRET value is replaced by `[redacted]`. Never throws.
 */
export function redactSpecSecrets(spec: AppSpec): AppSpec {
  return mapSecretValues(spec, (value) =>
    isEnvelope(value) || isDigitalOceanEncrypted(value) ? value : REDACTED,
  );
}

/** True when some SECRET value of `spec` is not yet an envelope (for a migration at start). */
export function hasPlaintextSecrets(spec: AppSpec): boolean {
  let found = false;
  mapSecretValues(spec, (value) => {
    if (!isEnvelope(value)) found = true;
    return value;
  });
  return found;
}

/**
 * A copy of `spec` where `f` replaced each SECRET env's value (in spec order, app-level first);
 * `path` is e.g. `services[0].envs[2].value`. Envs without a value are left alone.
 */
function mapSecretValues(spec: AppSpec, f: (value: string, path: string, slot: string) => string): AppSpec {
  const out = structuredClone(spec);
  const each = (envs: EnvVarSpec[] | undefined, at: PathSegment[], owner: string) => {
    envs?.forEach((env, i) => {
      if (env.type === "SECRET" && env.value !== undefined)
        env.value = f(env.value, formatPath([...at, i, "value"]), `${owner}\u0000${env.key}`);
    });
  };
  each(out.envs, ["envs"], "");
  for (const list of COMPONENT_LISTS) {
    const components: { name: string; envs?: EnvVarSpec[] }[] = out[list] ?? [];
    components.forEach((c, i) => {
      each(c.envs, [list, i, "envs"], `${list}/${c.name}`);
    });
  }
  return out;
}

/** The envelopes of `spec` by slot (owner and key). */
function envelopesOf(spec: AppSpec | undefined): Map<string, string> {
  const found = new Map<string, string>();
  if (spec === undefined) return found;
  mapSecretValues(spec, (value, _path, slot) => {
    if (isEnvelope(value)) found.set(slot, value);
    return value;
  });
  return found;
}

function refused(
  code: "invalid_argument" | "failed_precondition",
  what: string,
  problems: Problem[],
): SlipwayError {
  const first = problems[0] as Problem;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return new SlipwayError(code, `SECRET value ${what}: ${first.path}: ${first.message}${more}`, {
    details: problems,
  });
}
