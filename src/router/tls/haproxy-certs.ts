/**
 * Certificates on disk and in a running HAProxy. Each host's certificate + key is one PEM file
 * `<certDir>/<host>.pem`, listed in the crt-list file the HTTPS bind reads at start; at run time
 * the same file names are loaded, replaced and removed through the runtime API
 * (`new`/`set`/`commit ssl cert`, `add`/`del ssl crt-list`), so no reload is needed.
 */
import { X509Certificate } from "node:crypto";
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SlipwayError } from "../../resources/index.js";
import type { RouteTable } from "../route-table.js";
import type { RuntimeApi } from "../runtime-api.js";
import { type IssuedCertificate, issueCertificate, LEAF_DAYS, type LocalCa } from "./ca.js";
import type { IssuerChoice } from "./issuer.js";
import { type CertificatePlan, type HeldCertificate, planCertificates, RENEW_BEFORE_MS } from "./plan.js";

/** Where certificates live and which HAProxy serves them. */
export interface CertStore {
  /** Directory of `<host>.pem` files (certificate then private key), mode 0700. */
  certDir: string;
  /** The crt-list file named in the HTTPS bind (absolute path). */
  crtList: string;
  /** The runtime API of the HAProxy serving them; absent: files only (HAProxy not started yet). */
  api?: RuntimeApi;
}

/** The file of a host's certificate. */
export function certFile(certDir: string, host: string): string {
  return join(certDir, `${host}.pem`);
}

/** The crt-list file's text: one certificate file per line (SNI taken from each certificate). */
export function crtListText(files: readonly string[]): string {
  return files.map((f) => `${f}\n`).join("");
}

/** Reads the certificates in `certDir` (host and expiry), ignoring files that are not ours. */
export async function readHeldCertificates(certDir: string): Promise<HeldCertificate[]> {
  const names = (await readdir(certDir).catch(() => [] as string[])).filter((n) => n.endsWith(".pem"));
  const out: HeldCertificate[] = [];
  for (const name of names.sort()) {
    const pem = await readFile(join(certDir, name), "utf8");
    try {
      out.push({ host: name.slice(0, -".pem".length), notAfter: new Date(new X509Certificate(pem).validTo) });
    } catch {
      // A damaged file is treated as absent, so the host gets a fresh certificate.
    }
  }
  return out;
}

/** Options of {@link syncCertificates}. */
export interface SyncOptions {
  /** The time the plan and new certificates start from. Default: now. */
  now?: Date;
  /** Lifetime of new certificates in days. Default {@link LEAF_DAYS}. */
  days?: number;
  /** Renew certificates with less than this left. Default {@link RENEW_BEFORE_MS}. */
  renewBeforeMs?: number;
  /**
   * Who issues each host's certificate (ADR 0020). Default: `ca` for every host, with `now` and
   * `days` above. A failing issuer fails the sync after the hosts before it were installed.
   */
  issuerFor?: IssuerChoice;
}

/**
 * Brings the store in line with `table`: issues certificates for new hosts, renews those due,
 * removes unrouted ones, rewrites the crt-list, and, when `api` is given, loads the changes
 * into HAProxy without a reload. A host whose issuer fails is reported in the plan's `issues` and
 * the others go on. Sequential on purpose: HAProxy 2.6 allows one certificate
 * transaction at a time. Call it when the table changes and at {@link nextRenewal}.
 */
export async function syncCertificates(
  store: CertStore,
  ca: LocalCa,
  table: RouteTable,
  options: SyncOptions = {},
): Promise<CertificatePlan> {
  const now = options.now ?? new Date();
  const held = await readHeldCertificates(store.certDir);
  const plan = planCertificates(table, held, now, options.renewBeforeMs ?? RENEW_BEFORE_MS);
  for (const host of [...plan.issue, ...plan.renew]) {
    let issued: IssuedCertificate;
    try {
      issued =
        options.issuerFor === undefined
          ? await issueCertificate(ca, host, now, options.days ?? LEAF_DAYS)
          : await options.issuerFor(host)(host);
    } catch (err) {
      // One host's issuer failing (an ACME order, say) must not hold back the others' certificates;
      // a renewal that fails keeps the current certificate until the next sync.
      plan.issues.push(
        `${host}: certificate not issued: ${err instanceof Error ? err.message : String(err)}`,
      );
      continue;
    }
    await installCertificate(store, issued);
  }
  for (const host of plan.remove) await removeCertificate(store, host);
  return plan;
}

/** Writes a certificate's file, lists it in the crt-list, and loads or replaces it in HAProxy. */
export async function installCertificate(store: CertStore, cert: IssuedCertificate): Promise<void> {
  const file = certFile(store.certDir, cert.host);
  const pem = `${cert.certPem.trimEnd()}\n${cert.keyPem.trimEnd()}\n`;
  // Written aside then renamed, so a reload never reads half a file.
  await writeFile(`${file}.tmp`, pem, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  await writeCrtList(store);
  const api = store.api;
  if (api === undefined) return;
  const known = (await api.command("show ssl cert")).split("\n").includes(file);
  if (!known) await expect(api, `new ssl cert ${file}`, /New empty certificate store/);
  await expectPayload(api, `set ssl cert ${file}`, pem, /Transaction (created|updated)/);
  await expect(api, `commit ssl cert ${file}`, /Success!/);
  if (!known) await expect(api, `add ssl crt-list ${store.crtList} ${file}`, /Success!/);
}

/** Removes a host's certificate from HAProxy, the crt-list and the disk. */
export async function removeCertificate(store: CertStore, host: string): Promise<void> {
  const file = certFile(store.certDir, host);
  await rm(file, { force: true });
  await writeCrtList(store);
  const api = store.api;
  if (api === undefined) return;
  if (!(await api.command("show ssl cert")).split("\n").includes(file)) return;
  await expect(api, `del ssl crt-list ${store.crtList} ${file}`, /deleted|Success!|not found/i);
  await expect(api, `del ssl cert ${file}`, /deleted|Success!/i);
}

async function writeCrtList(store: CertStore): Promise<void> {
  const held = await readHeldCertificates(store.certDir);
  const text = crtListText(held.map((c) => certFile(store.certDir, c.host)));
  await writeFile(`${store.crtList}.tmp`, text, { mode: 0o600 });
  await rename(`${store.crtList}.tmp`, store.crtList);
}

async function expect(api: RuntimeApi, cmd: string, ok: RegExp): Promise<void> {
  check(cmd, await api.command(cmd), ok);
}

async function expectPayload(api: RuntimeApi, cmd: string, payload: string, ok: RegExp): Promise<void> {
  check(cmd, await api.commandWithPayload(cmd, payload), ok);
}

function check(cmd: string, answer: string, ok: RegExp): void {
  if (ok.test(answer)) return;
  throw new SlipwayError("invalid_argument", `haproxy refused "${cmd}": ${answer.trim() || "(no answer)"}`);
}
