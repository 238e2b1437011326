/**
 * ACME for `slipway server` (ADR 0021): with `--acme-directory URL`, custom domains outside the
 * base domain get certificates from that CA (HTTP-01, answered through HAProxy by a loopback
 * responder); `<app>.<base-domain>` and special-use names stay with the local CA. Without the
 * flag nothing starts and every host keeps the local CA.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type AcmeService,
  type CertificateIssuer,
  type HaproxyAcmeOptions,
  type IssuerChoice,
  isAcmeHost,
  startAcmeService,
} from "../router/index.js";

/** The server's ACME flags. */
export interface ServerAcmeFlags {
  /** `--acme-directory`: the CA's directory URL. */
  directory?: string | undefined;
  /** `--acme-email`: the account's contact. */
  email?: string | undefined;
  /** `--acme-ca-file`: PEM trusted for the directory's TLS (a private or test CA). */
  caFile?: string | undefined;
  /** `--acme-no-self-check`: skip fetching our own challenge URL before the CA validates it. */
  noSelfCheck?: boolean | undefined;
}

/** ACME as the router needs it. */
export interface ServerAcme {
  /** The router's `acme` render option: challenge paths go to the responder. */
  haproxy: HaproxyAcmeOptions;
  /** The router's `issuerFor`: ACME for custom domains, the local CA for the rest. */
  issuerFor(local: CertificateIssuer): IssuerChoice;
  close(): Promise<void>;
}

/** Checks the flags (before anything starts): throws a sentence naming the flag. */
export function checkAcmeFlags(flags: ServerAcmeFlags): void {
  if (flags.directory === undefined) {
    for (const [name, value] of [
      ["--acme-email", flags.email],
      ["--acme-ca-file", flags.caFile],
    ] as const)
      if (value !== undefined) throw new Error(`${name} needs --acme-directory URL`);
    return;
  }
  if (!/^https:\/\/\S+$/.test(flags.directory))
    throw new Error(
      `--acme-directory must be an https:// URL of an ACME directory, got "${flags.directory}"`,
    );
}

/** Starts the ACME service when `--acme-directory` is given; undefined otherwise. */
export async function startServerAcme(
  flags: ServerAcmeFlags,
  dataDir: string,
  baseDomain: string,
  log: (message: string) => void,
): Promise<ServerAcme | undefined> {
  if (flags.directory === undefined) return undefined;
  const caBundle =
    flags.caFile === undefined
      ? undefined
      : await readFile(flags.caFile, "utf8").catch((err: unknown) => {
          throw new Error(`--acme-ca-file ${flags.caFile} cannot be read: ${String(err)}`, { cause: err });
        });
  const service: AcmeService = await startAcmeService({
    directoryUrl: flags.directory,
    stateDir: join(dataDir, "acme"),
    ...(flags.email === undefined ? {} : { email: flags.email }),
    ...(caBundle === undefined ? {} : { caBundle }),
    ...(flags.noSelfCheck === true ? { selfCheck: false } : {}),
    onChallengeRequest: (seen) =>
      log(`acme: challenge for ${seen.host} ${seen.answered ? "answered" : "not known (404)"}`),
  });
  return {
    haproxy: service.haproxy,
    issuerFor: (local) => (host) => (isAcmeHost(host, baseDomain) ? service.issuer : local),
    close: () => service.close(),
  };
}
