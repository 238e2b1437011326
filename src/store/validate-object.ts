/**
 * Input checks shared by Store implementations: kinds, keys and the client-settable metadata.
 * Every failure is a `SlipwayError` `invalid_argument` naming the offending field.
 */
import { SlipwayError } from "../resources/errors.js";
import type { ObjectKey } from "../resources/meta.js";

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

function invalid(path: string, message: string): SlipwayError {
  return new SlipwayError("invalid_argument", `${path}: ${message}`, { details: [{ path, message }] });
}

/** Checks a kind: an UpperCamelCase identifier such as `App`. */
export function validateKind(kind: unknown): asserts kind is string {
  if (typeof kind !== "string" || !KIND.test(kind)) {
    throw invalid("kind", `must be an UpperCamelCase identifier like "App", got ${JSON.stringify(kind)}`);
  }
}

/**
 * Checks a key: `name` is a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', at most 253
 * characters, starting and ending alphanumeric); `namespace`, when set, is a DNS-1123 label (max 63).
 */
export function validateKey(key: ObjectKey, path = "metadata"): void {
  const { name, namespace } = key;
  if (typeof name !== "string" || name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw invalid(
      `${path}.name`,
      `must be lowercase letters, digits, '-' or '.', start and end with a letter or digit, at most 253 characters; got ${JSON.stringify(name)}`,
    );
  }
  if (namespace !== undefined) validateNamespace(namespace, `${path}.namespace`);
}

/** Checks a namespace: a DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters). */
export function validateNamespace(namespace: unknown, path = "namespace"): void {
  if (typeof namespace !== "string" || namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
    throw invalid(
      path,
      `must be lowercase letters, digits or '-', start and end with a letter or digit, at most 63 characters; got ${JSON.stringify(namespace)}`,
    );
  }
}

function validateStringMap(value: unknown, path: string): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(path, "must be an object of strings");
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw invalid(`${path}.${k}`, `must be a string, got ${typeof v}`);
  }
}

/** Checks the client-settable metadata (labels, annotations, finalizers) and that `spec` is present. */
export function validateContent(object: { metadata: unknown; spec?: unknown }): void {
  if (typeof object.metadata !== "object" || object.metadata === null) {
    throw invalid("metadata", "must be an object");
  }
  if (object.spec === undefined) throw invalid("spec", "is required");
  const metadata = object.metadata as Record<string, unknown>;
  validateStringMap(metadata.labels, "metadata.labels");
  validateStringMap(metadata.annotations, "metadata.annotations");
  const finalizers = metadata.finalizers;
  if (
    finalizers !== undefined &&
    (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== "string"))
  ) {
    throw invalid("metadata.finalizers", "must be an array of strings");
  }
}
