/**
 * Run-time env resolution: the env map an instance of a component runs with (pure; no I/O).
 */
export { type AppAddress, type AppAddressOptions, appAddress } from "./app-address.js";
export type { ComponentFacts, ComponentKind, ComponentRef, DeploymentFacts } from "./facts.js";
export { type PublicRoute, publicRoute } from "./public-route.js";
export {
  type EnvIssue,
  formatEnvIssues,
  type RuntimeEnvInput,
  type RuntimeEnvResult,
  resolveRuntimeEnv,
} from "./runtime-env.js";
