export { type AcmeIssuer, type AcmeIssuerOptions, createAcmeIssuer } from "./acme.js";
export { loadOrCreateAccountKey } from "./acme-account.js";
export {
  ACME_CHALLENGE_PREFIX,
  type AcmeChallengeResponder,
  type AcmeChallengeResponderOptions,
  AcmeChallengeStore,
  acmeChallengeHandler,
  type ChallengeRequest,
  startAcmeChallengeResponder,
} from "./acme-challenges.js";
export { ACME_BACKEND, type HaproxyAcmeOptions } from "./acme-config.js";
export { type AcmeStep, acmeFailure } from "./acme-errors.js";
export { type IssuerByHostOptions, isAcmeHost, issuerByHost } from "./acme-hosts.js";
export { type AcmeService, type AcmeServiceOptions, startAcmeService } from "./acme-service.js";
export {
  caFiles,
  exportCaPem,
  type IssuedCertificate,
  isCertifiableHost,
  issueCertificate,
  LEAF_DAYS,
  type LocalCa,
  loadOrCreateCa,
} from "./ca.js";
export {
  type CertStore,
  certFile,
  crtListText,
  installCertificate,
  readHeldCertificates,
  removeCertificate,
  type SyncOptions,
  syncCertificates,
} from "./haproxy-certs.js";
export { type CertificateIssuer, type IssuerChoice, localCaIssuer } from "./issuer.js";
export {
  type CertificatePlan,
  certificateHosts,
  type HeldCertificate,
  nextRenewal,
  planCertificates,
  RENEW_BEFORE_MS,
} from "./plan.js";
