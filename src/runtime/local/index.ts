/**
 * The local runtime's building blocks: gVisor sandboxes from OCI bundles and the detection of
 * the isolation a machine offers.
 */
export { parseOomKills, readOomKills } from "./cgroup-oom.js";
export {
  type DetectOptions,
  detectSandboxRuntime,
  parseRunscVersion,
  type SandboxRuntime,
} from "./detect-runtime.js";
export {
  type OciMount,
  type OciSpec,
  type OciSpecInput,
  renderOciSpec,
  type SandboxMount,
  type SandboxTmpfs,
} from "./oci-spec.js";
export {
  runSandbox,
  type SandboxHandle,
  type SandboxNetwork,
  type SandboxOptions,
  type SandboxResult,
  startSandbox,
} from "./sandbox.js";
