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
