/**
 * Slipway's own certificate authority: a self-signed ECDSA P-256 root kept under a data
 * directory (`ca.pem`, `ca.key` with mode 0600), and short-lived leaf certificates it issues for
 * app hosts and custom domains (one per host; SAN = the host). Clients trust the root once
 * (`exportCaPem`), as mkcert does.
 */
import { randomBytes, webcrypto, X509Certificate } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SlipwayError } from "../../resources/index.js";
import { x509 } from "./x509.js";

const { subtle } = webcrypto;
type CryptoKey = webcrypto.CryptoKey;

/** ECDSA P-256 with SHA-256: small keys and certificates, key generation in about a millisecond. */
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** The root lives ten years; leaves are what rotate. */
const CA_DAYS = 3650;
/** Leaf lifetime (days) unless the caller says otherwise. */
export const LEAF_DAYS = 30;
const DAY_MS = 86_400_000;

/** The root: its certificate (PEM) and private key, loaded in memory. */
export interface LocalCa {
  certPem: string;
  /** The root's subject, e.g. `CN=Slipway local CA 2026-11-22`. */
  subject: string;
  key: CryptoKey;
  cert: InstanceType<typeof x509.X509Certificate>;
}

/** A leaf certificate for one host. `pem` is the chain HAProxy loads: certificate, then key. */
export interface IssuedCertificate {
  host: string;
  certPem: string;
  keyPem: string;
  /** Upper-case hex, as `show ssl cert` prints it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** The files of the CA under `dir`. */
export function caFiles(dir: string): { cert: string; key: string } {
  return { cert: join(dir, "ca.pem"), key: join(dir, "ca.key") };
}

/**
 * Loads the CA from `dir`, or creates one there when there is none (directory 0700, key 0600).
 * `now` is injected so that tests and renewals are deterministic.
 */
export async function loadOrCreateCa(dir: string, now: Date = new Date()): Promise<LocalCa> {
  const files = caFiles(dir);
  const [certPem, keyPem] = await Promise.all([readOptional(files.cert), readOptional(files.key)]);
  if (certPem !== undefined && keyPem !== undefined) return loadCa(certPem, keyPem, dir);
  if (certPem !== undefined || keyPem !== undefined) {
    throw new SlipwayError(
      "failed_precondition",
      `local CA in ${dir}: one of ca.pem and ca.key is missing; restore it or remove both to make a new CA (clients must then trust the new one)`,
    );
  }
  const keys = (await subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const name = `CN=Slipway local CA ${now.toISOString().slice(0, 10)}, O=Slipway`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pkcs8 = await subtle.exportKey("pkcs8", keys.privateKey);
  // The key is written first with 0600 from the start (mode applies at creation), then checked.
  await writeFile(files.key, x509.PemConverter.encode(pkcs8, "PRIVATE KEY"), { mode: 0o600, flag: "wx" });
  await chmod(files.key, 0o600);
  await writeFile(files.cert, cert.toString("pem"), { mode: 0o644 });
  return { certPem: cert.toString("pem"), subject: cert.subject, key: keys.privateKey, cert };
}

async function loadCa(certPem: string, keyPem: string, dir: string): Promise<LocalCa> {
  try {
    const cert = new x509.X509Certificate(certPem);
    const der = x509.PemConverter.decodeFirst(keyPem);
    const key = await subtle.importKey("pkcs8", der, ALGORITHM, false, ["sign"]);
    return { certPem: cert.toString("pem"), subject: cert.subject, key, cert };
  } catch (err) {
    throw new SlipwayError(
      "failed_precondition",
      `local CA in ${dir}: cannot read ca.pem/ca.key (${(err as Error).message}); restore them or remove both to make a new CA`,
      { cause: err },
    );
  }
}

/** The root certificate (PEM) that clients add to their trust store (`slipway ca export`). */
export async function exportCaPem(dir: string): Promise<string> {
  const pem = await readOptional(caFiles(dir).cert);
  if (pem === undefined) {
    throw new SlipwayError("not_found", `no local CA in ${dir}; it is created when the router first starts`);
  }
  return pem;
}

/** Issues a certificate for `host` (a DNS name), valid from `now` for `days` days. */
export async function issueCertificate(
  ca: LocalCa,
  host: string,
  now: Date = new Date(),
  days: number = LEAF_DAYS,
): Promise<IssuedCertificate> {
  if (!isCertifiableHost(host)) {
    throw new SlipwayError(
      "invalid_argument",
      `cannot issue a certificate for ${JSON.stringify(host)}: not a DNS name`,
    );
  }
  const keys = (await subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + days * DAY_MS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${host}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: host }]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ],
  });
  const pkcs8 = await subtle.exportKey("pkcs8", keys.privateKey);
  const certPem = cert.toString("pem");
  return {
    host,
    certPem,
    keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY"),
    serial: new X509Certificate(certPem).serialNumber.toUpperCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

/** Lower-case DNS names only: they become file names and crt-list entries. */
export function isCertifiableHost(host: string): boolean {
  return (
    host.length <= 253 &&
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(host)
  );
}

/** 16 random bytes with the top bit clear: a positive serial, unguessable (RFC 5280 allows 20). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString("hex");
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
