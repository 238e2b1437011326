/**
 * Everything a server needs for ACME in one call: the challenge store and its loopback
 * responder, the issuer, and the `acme` option for the router's HAProxy config.
 */
import { join } from "node:path";
import { type AcmeIssuer, type AcmeIssuerOptions, createAcmeIssuer } from "./acme.js";
import { AcmeChallengeStore, type ChallengeRequest, startAcmeChallengeResponder } from "./acme-challenges.js";
import type { HaproxyAcmeOptions } from "./acme-config.js";

/** Options of {@link startAcmeService}: the issuer's, less what the service provides. */
export interface AcmeServiceOptions extends Omit<AcmeIssuerOptions, "challenges" | "accountKeyFile"> {
  /** Where ACME state lives: `<stateDir>/account.key` (0600, folder 0700). */
  stateDir: string;
  /** Called for every challenge request (logging). */
  onChallengeRequest?: (seen: ChallengeRequest) => void;
}

/** A running ACME service. */
export interface AcmeService {
  /** `(host) => IssuedCertificate`, for custom domains (see isAcmeHost). */
  issuer: AcmeIssuer;
  challenges: AcmeChallengeStore;
  /** Pass as `acme` in the router's render options. */
  haproxy: HaproxyAcmeOptions;
  /** Stops the responder (issuances in flight then fail their challenge). */
  close(): Promise<void>;
}

/** Starts the responder on 127.0.0.1 (any free port) and creates the issuer. */
export async function startAcmeService(o: AcmeServiceOptions): Promise<AcmeService> {
  const { stateDir, onChallengeRequest, ...issuerOptions } = o;
  const challenges = new AcmeChallengeStore();
  const responder = await startAcmeChallengeResponder({
    store: challenges,
    ...(onChallengeRequest === undefined ? {} : { onRequest: onChallengeRequest }),
  });
  const issuer = createAcmeIssuer({
    ...issuerOptions,
    challenges,
    accountKeyFile: join(stateDir, "account.key"),
  });
  return {
    issuer,
    challenges,
    haproxy: { responder: { addr: responder.addr, port: responder.port } },
    close: () => responder.close(),
  };
}
