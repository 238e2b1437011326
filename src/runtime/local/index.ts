/**
 * The local runtime's building blocks: gVisor sandboxes from OCI bundles, the detection of the
 * isolation a machine offers, and app instances: per-app networks, instances from build
 * artifacts, health checks and supervision (ADR 0006, ADR 0012).
 */
export {
  type AddressBlock,
  blockAt,
  blockCount,
  blockIndexOf,
  chooseBlock,
  chooseHost,
  DEFAULT_ADDRESS_POOL,
  DEFAULT_BLOCK_PREFIX_LENGTH,
  formatIpv4,
  hostAddress,
  parseIpv4,
} from "./address-plan.js";
export {
  type AppNetwork,
  type AppNetworkHost,
  type AppNetworkHostOptions,
  type AttachOptions,
  createAppNetworkHost,
  type EnsureAppOptions,
  type InstanceNetwork,
} from "./app-network.js";
export { listRoot, type RootEntry, type RootListing, renderBwrapArgs } from "./bwrap-args.js";
export {
  parseCpuStatUsage,
  readInstanceCpuUsage,
  type SandboxCpuUsage,
  sandboxAttempt,
} from "./cgroup-cpu.js";
export { parseOomKills, readHostOomKills, readOomKills } from "./cgroup-oom.js";
export {
  type AdoptInstanceOptions,
  adoptInstance,
  type DetachedInstanceHandle,
  type DetachedInstanceOptions,
  startDetachedInstance,
} from "./detached-instance.js";
export {
  type DetachedSandboxHandle,
  type DetachedSandboxOptions,
  sandboxOutputFiles,
  startDetachedSandbox,
  type WatchSandboxOptions,
  watchSandbox,
} from "./detached-sandbox.js";
export {
  type DetectOptions,
  detectSandboxRuntime,
  parseRunscVersion,
  type SandboxRuntime,
} from "./detect-runtime.js";
export {
  type ConnectTarget,
  DEFAULT_BUILD_EGRESS_ALLOW,
  type EgressAllowlist,
  parseConnectTarget,
  parseEgressAllowlist,
  splitHostList,
} from "./egress-allowlist.js";
export {
  defaultBlockedAddresses,
  type EgressDecision,
  type EgressProxy,
  type EgressProxyOptions,
  startEgressProxy,
} from "./egress-proxy.js";
export {
  type HealthCheck,
  type HealthCheckFields,
  type HealthCheckOptions,
  type HealthCheckSettings,
  type HealthStatus,
  healthCheckSettings,
  nextHealthStatus,
  type Probe,
  type ProbeTarget,
  realProbe,
  startHealthCheck,
} from "./health-check.js";
export { createHostCommand, type HostCommand } from "./host-command.js";
export { type StartHostInstanceOptions, startHostInstance } from "./host-instance.js";
export { type HostsEntry, renderHostsFile, rewriteHostsFile } from "./hosts-file.js";
export {
  type InstanceExit,
  type InstanceHandle,
  type ListedInstance,
  listInstances,
  type StartInstanceOptions,
  startInstance,
} from "./instance.js";
export { type InstanceLimits, instanceLimits, sandboxLimits } from "./instance-sizes.js";
export {
  INSTANCE_ANNOTATION,
  type InstanceArtifact,
  type InstanceSpecInput,
  LABEL_ANNOTATION_PREFIX,
  renderInstanceSpec,
} from "./instance-spec.js";
export { type ListedContainer, listContainers, stopContainer } from "./leftovers.js";
export { type NftAppNetwork, type NftRulesetInput, renderNftRuleset } from "./nft-rules.js";
export {
  type OciMount,
  type OciSpec,
  type OciSpecInput,
  renderOciSpec,
  type SandboxMount,
  type SandboxTmpfs,
} from "./oci-spec.js";
export { type OutputTail, type OutputTailOptions, removeOutput, tailOutput } from "./output-tail.js";
export { type CgroupLimits, createOwnCgroup, type OwnCgroup } from "./own-cgroup.js";
export { NULL_NETNS, nullNetnsMounts, releaseRunscRoots } from "./runsc-root.js";
export {
  type ContainerRef,
  runSandbox,
  type SandboxHandle,
  type SandboxNetwork,
  type SandboxOptions,
  type SandboxResult,
  startSandbox,
} from "./sandbox.js";
export {
  chooseSandboxRuntime,
  isSandboxRuntimeName,
  SANDBOX_RUNTIMES,
  type SandboxChoice,
  type SandboxRuntimeName,
} from "./sandbox-choice.js";
export { boostedCpus, readSandboxCpus, STARTUP_BOOST_MS, setSandboxCpus } from "./startup-boost.js";
export {
  type BackoffSettings,
  DEFAULT_BACKOFF,
  restartDelay,
  type SupervisedInstance,
  type Supervisor,
  type SupervisorClock,
  type SupervisorEvent,
  type SupervisorOptions,
  superviseInstance,
} from "./supervisor.js";
