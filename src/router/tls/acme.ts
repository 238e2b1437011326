/**
 * Certificates from a public ACME CA (Let's Encrypt, or Pebble in tests) for custom domains,
 * through the acme-client library (ADR 0021). One issuer per directory: it loads or creates the
 * account key once, registers the account on first use, and answers each host with an HTTP-01
 * order whose token it puts in an {@link AcmeChallengeStore} for HAProxy to serve.
 */
import { X509Certificate } from "node:crypto";
import { Agent, get } from "node:https";
import { rootCertificates } from "node:tls";
import * as acme from "acme-client";
import { SlipwayError } from "../../resources/index.js";
import { loadOrCreateAccountKey } from "./acme-account.js";
import type { AcmeChallengeStore } from "./acme-challenges.js";
import { type AcmeStep, acmeFailure } from "./acme-errors.js";
import { type IssuedCertificate, isCertifiableHost } from "./ca.js";

/** Issues a certificate for one host; the same shape as the local CA's issuer. */
export type AcmeIssuer = (host: string) => Promise<IssuedCertificate>;

/** Options of {@link createAcmeIssuer}. */
export interface AcmeIssuerOptions {
  /** The CA's directory, e.g. `https://acme-v02.api.letsencrypt.org/directory`. */
  directoryUrl: string;
  /** Contact address for the account (expiry notices). Absent: an account without contact. */
  email?: string;
  /** The account's private key (PEM); created with mode 0600 (folder 0700) when missing. */
  accountKeyFile: string;
  /** Where HTTP-01 tokens are put while a host is validated; HAProxy serves them. */
  challenges: AcmeChallengeStore;
  /**
   * PEM certificates trusted for the directory's TLS in addition to Node's bundled roots
   * (Pebble's own root in tests; NODE_EXTRA_CA_CERTS no longer applies once this is given).
   * Process-wide: acme-client has one HTTP client for all its instances.
   */
  caBundle?: string;
  /**
   * Fetch our own challenge URL on port 80 before telling the CA to validate it, so a broken DNS
   * or port 80 costs no failed validation at the CA (which counts toward its limits).
   * Default true; tests whose host names do not resolve turn it off.
   */
  selfCheck?: boolean;
  /** First delay (ms) between polls of a pending challenge or order. Default 1000. */
  pollMinMs?: number;
  /** Polls of a pending challenge or order before giving up. Default 10. */
  pollAttempts?: number;
  /**
   * Retries of one HTTP request after a network error, 5xx or 429 (acme-client's own backoff,
   * 5 s more each time). Default 5 (the library's). Process-wide, like `caBundle`.
   */
  requestRetries?: number;
}

/** Settings acme-client keeps on its shared axios instance (not in its typings). */
interface AcmeHttpSettings {
  retryMaxAttempts: number;
}

/**
 * Creates an issuer: `issuer(host)` orders a certificate for `host` (one DNS name), answers the
 * HTTP-01 challenge through `challenges`, and resolves with the chain (leaf first), a fresh
 * ECDSA P-256 key and the validity. Calls for different hosts may run at once. Failures are
 * {@link SlipwayError}s naming the host (see acme-errors.ts); a failed call can simply be retried.
 */
export function createAcmeIssuer(o: AcmeIssuerOptions): AcmeIssuer {
  configureHttp(o);
  let account: Promise<acme.Client> | undefined;
  // Every caller waits for the one registration but names its own host when it failed.
  const ready = async (host: string): Promise<acme.Client> => {
    account ??= register(o);
    const attempt = account;
    try {
      return await attempt;
    } catch (err) {
      if (account === attempt) account = undefined; // the next call tries again
      throw acmeFailure(host, o.directoryUrl, "account", await withNetworkCause(err, o.directoryUrl));
    }
  };
  return async (host) => {
    if (!isCertifiableHost(host)) {
      throw new SlipwayError(
        "invalid_argument",
        `cannot get an ACME certificate for ${JSON.stringify(host)}: not a lower-case DNS name`,
      );
    }
    const client = await ready(host);
    return issue(client, host, o);
  };
}

function configureHttp(o: AcmeIssuerOptions): void {
  if (o.caBundle !== undefined) {
    acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, o.caBundle] });
  }
  if (o.requestRetries !== undefined) {
    const settings = (acme.axios.defaults as { acmeSettings?: AcmeHttpSettings }).acmeSettings;
    if (settings !== undefined) settings.retryMaxAttempts = o.requestRetries;
  }
}

async function register(o: AcmeIssuerOptions): Promise<acme.Client> {
  const accountKey = await loadOrCreateAccountKey(o.accountKeyFile);
  const client = new acme.Client({
    directoryUrl: o.directoryUrl,
    accountKey,
    backoffAttempts: o.pollAttempts ?? 10,
    backoffMin: o.pollMinMs ?? 1000,
    backoffMax: 10_000,
  });
  // The CA returns the existing account for a known key, so this is idempotent across restarts.
  await client.createAccount({
    termsOfServiceAgreed: true,
    ...(o.email === undefined ? {} : { contact: [`mailto:${o.email}`] }),
  });
  return client;
}

async function issue(client: acme.Client, host: string, o: AcmeIssuerOptions): Promise<IssuedCertificate> {
  let step: AcmeStep = "order";
  try {
    const order = await client.createOrder({ identifiers: [{ type: "dns", value: host }] });
    step = "challenge";
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status !== "valid") await answerHttp01(client, authz, o);
    }
    step = "finalize";
    const [keyPem, csr] = await acme.crypto.createCsr(
      { commonName: host, altNames: [host] },
      await acme.crypto.createPrivateEcdsaKey("P-256"),
    );
    const finalized = await client.finalizeOrder(order, csr);
    const chainPem = await client.getCertificate(finalized);
    return certificateOf(host, chainPem, keyPem.toString());
  } catch (err) {
    throw acmeFailure(host, o.directoryUrl, step, await withNetworkCause(err, o.directoryUrl));
  }
}

/**
 * acme-client 5.4.0 loses the network error once its retries are spent and throws a TypeError
 * about `config` instead (publishlab/node-acme-client#101). Then one plain GET of the directory
 * finds out what is wrong (refused, unresolvable, untrusted TLS) for the message.
 */
async function withNetworkCause(err: unknown, directoryUrl: string): Promise<unknown> {
  if (!(err instanceof TypeError) || !/reading 'config'/.test(err.message)) return err;
  const agent = acme.axios.defaults.httpsAgent as Agent | undefined;
  return new Promise((resolve) => {
    const req = get(directoryUrl, { ...(agent === undefined ? {} : { agent }), timeout: 10_000 }, (res) => {
      res.resume();
      resolve(err);
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.on("error", resolve);
  });
}

async function answerHttp01(
  client: acme.Client,
  authz: acme.Authorization,
  o: AcmeIssuerOptions,
): Promise<void> {
  const challenge = authz.challenges.find((c) => c.type === "http-01");
  if (challenge === undefined) {
    const offered = authz.challenges.map((c) => c.type).join(", ");
    throw new Error(`the CA offers no http-01 challenge (only ${offered || "none"})`);
  }
  const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
  o.challenges.set(challenge.token, keyAuthorization);
  try {
    if (o.selfCheck !== false) await client.verifyChallenge(authz, challenge);
    await client.completeChallenge(challenge);
    await client.waitForValidStatus(challenge);
  } finally {
    o.challenges.delete(challenge.token);
  }
}

/** The issued chain as Slipway holds it: `certPem` is leaf then intermediates, for HAProxy. */
function certificateOf(host: string, chainPem: string, keyPem: string): IssuedCertificate {
  const leaf = new X509Certificate(chainPem);
  if (!leaf.checkHost(host)) {
    throw new Error(`the CA returned a certificate for ${leaf.subjectAltName ?? leaf.subject}, not ${host}`);
  }
  return {
    host,
    certPem: chainPem.endsWith("\n") ? chainPem : `${chainPem}\n`,
    keyPem: keyPem.endsWith("\n") ? keyPem : `${keyPem}\n`,
    serial: leaf.serialNumber.toUpperCase(),
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
  };
}
