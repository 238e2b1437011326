/**
 * Observability: log streams of builds and instances, and the metrics registry (per app and
 * component traffic read from the router, the process's own metrics; ADR 0022).
 */
export {
  type BackendOwner,
  createMetricsRegistry,
  type MetricsRegistry,
  type MetricsRegistryOptions,
} from "./edge-metrics.js";
export {
  createFileLogStore,
  type FileLogStoreOptions,
  type FollowLogOptions,
  type LogEntry,
  type LogStore,
  type LogStreamId,
  type LogType,
  type ReadLogOptions,
} from "./log-store.js";
export { parsePrometheusText, type Sample } from "./prometheus-text.js";
export { unixHttpGet } from "./unix-http-get.js";
