/**
 * Turns what acme-client throws (axios network errors, ACME problem details flattened to their
 * `detail` text) into sentences that name the host, say what failed, and what to do.
 */
import { SlipwayError } from "../../resources/index.js";

/** The step of an issuance that failed; each gets its own advice. */
export type AcmeStep = "account" | "order" | "challenge" | "finalize";

/** Error codes of Node's network stack and TLS that mean "cannot reach or trust the server". */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
]);
const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * The SlipwayError for a failed issuance of `host`: `unavailable` for an unreachable or untrusted
 * directory and for rate limits (retry later), `failed_precondition` for a challenge the CA could
 * not validate (fix DNS or port 80), `internal` for anything else (with the CA's words).
 */
export function acmeFailure(host: string, directoryUrl: string, step: AcmeStep, err: unknown): SlipwayError {
  if (err instanceof SlipwayError) return err;
  const code = errorCode(err);
  const text = errorText(err);
  const what = `cannot get an ACME certificate for ${host} from ${directoryUrl}`;
  if (code !== undefined && UNREACHABLE.has(code)) {
    return new SlipwayError(
      "unavailable",
      `${what}: the ACME directory is unreachable (${code}); check the directory URL and this machine's network and DNS, then retry`,
      { cause: err },
    );
  }
  if (code !== undefined && UNTRUSTED.has(code)) {
    return new SlipwayError(
      "unavailable",
      `${what}: the ACME directory's TLS certificate is not trusted (${code}); for a private ACME server pass its root certificate as the CA bundle`,
      { cause: err },
    );
  }
  if (/rate.?limit|too many/i.test(text)) {
    return new SlipwayError(
      "unavailable",
      `${what}: the certificate authority is rate limiting this account or domain (${text}); wait and retry later, and avoid issuing the same host repeatedly`,
      { cause: err },
    );
  }
  if (step === "challenge") {
    return new SlipwayError(
      "failed_precondition",
      `${what}: the HTTP-01 challenge failed (${text}); the CA must reach http://${host}/.well-known/acme-challenge/ on port 80 of this server, so check that ${host}'s DNS points here and that port 80 reaches Slipway's router`,
      { cause: err },
    );
  }
  return new SlipwayError("internal", `${what}: the ${step} step failed: ${text}`, { cause: err });
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNREACHABLE.has(code) || UNTRUSTED.has(code))) return code;
  }
  return undefined;
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.trim() === "" ? "no detail given" : text.trim();
}
