export {
  type Activator,
  type ActivatorOptions,
  type ActivatorTarget,
  loadingPageHtml,
  startActivator,
} from "./activator.js";
export { backendOwners, type Owner } from "./backend-owners.js";
export { parseBackendTotals, readBackendTotals } from "./backend-traffic.js";
export {
  type FairnessOptions,
  fairnessDefaults,
} from "./fairness-config.js";
export { type AdoptHaproxyOptions, adoptHaproxy, runningHaproxyPid } from "./haproxy-adopt.js";
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
  type SlotServer,
  slotName,
  spareBackendName,
} from "./haproxy-config.js";
export {
  type HaproxyExit,
  type HaproxyProcess,
  type HaproxyProcessOptions,
  type ReloadOptions,
  startHaproxy,
} from "./haproxy-process.js";
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
  type BackendEndpoints,
  type DesiredRouterState,
  type Endpoint,
  type PlanOptions,
  planRouterChanges,
  type RouterCommand,
  type RouterPlan,
  type RouterState,
  type SlotState,
  slotCommands,
} from "./router-plan.js";
export {
  type ApplyResult,
  createRouterSync,
  type RouterSync,
  type RouterSyncOptions,
  runCommand,
} from "./router-sync.js";
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
