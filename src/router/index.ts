export {
  durationSeconds,
  EXACT_MAP,
  type HaproxyConfig,
  type HaproxyConfigOptions,
  type HaproxyTlsOptions,
  mapKey,
  mapValue,
  PREFIX_MAP,
  renderHaproxyConfig,
  slotName,
  spareBackendName,
} from "./haproxy-config.js";
export * from "./jwt/index.js";
export {
  type AuthPolicy,
  type BackendSpec,
  backendName,
  type CorsPolicy,
  orderRules,
  type PathMatch,
  type RouteAction,
  type RoutedApp,
  type RouteRule,
  type RouteTable,
  type RouteTableOptions,
  routeTable,
} from "./route-table.js";
export {
  createRuntimeApi,
  parseServersState,
  type RuntimeApi,
  type RuntimeApiOptions,
  type ServerState,
  sendCommand,
} from "./runtime-api.js";
export * from "./static/index.js";
export * from "./tls/index.js";
