/**
 * HTTPS for `slipway server` (ADR 0020): the local CA under `<data-dir>/ca`, one certificate per
 * routed host under `<data-dir>/router/certs`, the crt-list HAProxy's HTTPS bind reads at start,
 * and changes loaded through HAProxy's runtime API (no reload) whenever the route table changes or
 * a renewal falls due. Which issuer signs a host is pluggable (local CA by default; ACME later).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type CertificateIssuer,
  type CertificatePlan,
  certFile,
  crtListText,
  type HaproxyTlsOptions,
  type IssuerChoice,
  loadOrCreateCa,
  localCaIssuer,
  nextRenewal,
  type RouteTable,
  type RuntimeApi,
  readHeldCertificates,
  syncCertificates,
} from "../router/index.js";

/** The CA's directory under a data directory (what `slipway ca export` reads). */
export function caDir(dataDir: string): string {
  return join(dataDir, "ca");
}

/** Options of {@link createRouterTls}. */
export interface RouterTlsOptions {
  dataDir: string;
  /** Where the HTTPS bind listens. */
  bindAddress: string;
  httpsPort: number;
  /**
   * Chooses each host's issuer, given the local CA's (the default for every host), so an ACME
   * issuer can take public custom domains and leave the rest to the local CA.
   */
  issuerFor?: (local: CertificateIssuer) => IssuerChoice;
  /** Called when a renewal falls due: the caller syncs again (in its own serialized order). */
  onRenewalDue: () => void;
}

/** HTTPS state of the router. */
export interface RouterTls {
  /** The `tls` render option of the router's HAProxy configuration. */
  render: HaproxyTlsOptions;
  /**
   * Issues, renews and removes certificates for `table`; with `api`, loads the changes into the
   * running HAProxy (without, files only: before HAProxy starts). Then arms the renewal timer.
   */
  sync(table: RouteTable, api: RuntimeApi | undefined): Promise<CertificatePlan>;
  stop(): void;
}

/** setTimeout holds 2^31-1 ms at most; a renewal weeks away is re-armed daily instead. */
const MAX_TIMER_MS = 86_400_000;
const RETRY_MS = 60_000;

/** Loads or creates the local CA and prepares the certificate folder. */
export async function createRouterTls(options: RouterTlsOptions): Promise<RouterTls> {
  const ca = await loadOrCreateCa(caDir(options.dataDir));
  const certDir = join(options.dataDir, "router", "certs");
  await mkdir(certDir, { recursive: true, mode: 0o700 });
  const crtList = join(options.dataDir, "router", "crt-list");
  // HAProxy refuses a bind whose crt-list is missing: list what is on disk, even nothing.
  const held = await readHeldCertificates(certDir);
  await writeFile(crtList, crtListText(held.map((c) => certFile(certDir, c.host))), { mode: 0o600 });
  const local = localCaIssuer(ca);
  const issuerFor = options.issuerFor?.(local) ?? (() => local);
  let timer: NodeJS.Timeout | undefined;
  const arm = async () => {
    clearTimeout(timer);
    const due = nextRenewal(await readHeldCertificates(certDir));
    if (due === undefined) return;
    // Still due right after a sync: the issuer failed; try again in a minute, not in a loop.
    const left = due.getTime() - Date.now();
    // A second late: timers may fire a millisecond early, and the plan renews strictly inside the window.
    const wait = left <= 0 ? RETRY_MS : Math.min(left + 1000, MAX_TIMER_MS);
    timer = setTimeout(options.onRenewalDue, wait);
    timer.unref();
  };
  return {
    render: { httpsPort: options.httpsPort, bindAddress: options.bindAddress, crtList },
    sync: async (table, api) => {
      const plan = await syncCertificates(
        { certDir, crtList, ...(api === undefined ? {} : { api }) },
        ca,
        table,
        { issuerFor },
      );
      await arm();
      return plan;
    },
    stop: () => clearTimeout(timer),
  };
}
