export { cacheControlFor, IMMUTABLE, isFingerprinted, REVALIDATE, SHORT } from "./cache-policy.js";
export { contentTypeOf, isCompressible } from "./content-type.js";
export {
  chooseEncoding,
  type Encoding,
  etagMatches,
  isNotModified,
  parseRange,
  type RangeResult,
} from "./negotiate.js";
export {
  renderStaticBackend,
  renderStaticCache,
  STATIC_CACHE,
  type StaticBackendOptions,
  type StaticBackendSite,
  type StaticCacheOptions,
  staticSiteHost,
  staticSiteKey,
} from "./render-static-backend.js";
export { MAX_URL_LENGTH, parseRequestPath, type RequestPath } from "./request-path.js";
export { resolveInSite, type SiteEntry } from "./resolve-in-site.js";
export { etagOf } from "./send-file.js";
export {
  SITE_HEADER,
  type SiteLookup,
  type StaticAccess,
  type StaticServer,
  type StaticServerOptions,
  type StaticSite,
  startStaticServer,
  staticSiteOf,
} from "./static-server.js";
