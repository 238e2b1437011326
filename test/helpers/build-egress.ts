/**
 * A real builds network and egress proxy for tests that run builds (ADR 0019): its own network
 * prefix (`letter` + the pid in base 36), so test files running at once never share one.
 */
import { type BuildEgress, startBuildEgressOnPrefix } from "../../src/main/build-egress.js";
import { DEFAULT_BUILD_EGRESS_ALLOW, type EgressDecision } from "../../src/runtime/local/index.js";

/** Starts the builds network with the default allowlist; `stop()` removes everything it made. */
export function startTestBuildEgress(
  letter: string,
  onDecision?: (decision: EgressDecision) => void,
): Promise<BuildEgress> {
  return startBuildEgressOnPrefix({
    prefix: `${letter}${process.pid.toString(36)}`.slice(0, 6),
    allow: DEFAULT_BUILD_EGRESS_ALLOW,
    ...(onDecision === undefined ? {} : { onDecision }),
    clear: true,
  });
}
