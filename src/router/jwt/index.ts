export {
  createJwksCache,
  type FetchLike,
  type IssuerKeys,
  type IssuerRef,
  type JwksCache,
  type JwksCacheOptions,
  jwkToKey,
  keysOf,
  type PublicJwtKey,
} from "./jwks-cache.js";
export { JWT_ALGS, type JwtAlg, type JwtKey, jwtLines, KID_PATTERN, MAX_AUDIENCES } from "./jwt-config.js";
export { keyFile, writeJwtKeys } from "./key-files.js";
