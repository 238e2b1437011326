/**
 * Chooses what `slipway server` runs instances in (ADR 0027): `--sandbox-runtime` when given,
 * else the strongest runtime that really runs here (gVisor, then bubblewrap, then plain
 * processes), and says so loudly on stderr when it is not gVisor.
 */
import {
  chooseSandboxRuntime,
  detectSandboxRuntime,
  isSandboxRuntimeName,
  SANDBOX_RUNTIMES,
  type SandboxChoice,
} from "../runtime/local/index.js";

/**
 * The choice for the flag's value (undefined = detect). Throws a sentence for an unknown value
 * or a runtime that cannot run on this machine; `warn` gets one line per warning.
 */
export async function selectSandboxRuntime(
  flag: string | undefined,
  warn: (line: string) => void,
): Promise<SandboxChoice> {
  if (flag !== undefined && !isSandboxRuntimeName(flag))
    throw new Error(`--sandbox-runtime must be one of ${SANDBOX_RUNTIMES.join(", ")}, got "${flag}"`);
  const detected = await detectSandboxRuntime({ skipRunsc: flag !== undefined && flag !== "runsc" });
  const chosen = chooseSandboxRuntime(detected, flag);
  if (!chosen.ok) throw new Error(chosen.error);
  const { choice } = chosen;
  if (!choice.isolated) {
    warn(
      `slipway: WARNING: apps on this node are NOT isolated by gVisor (sandbox runtime: ${choice.runtime})`,
    );
    for (const w of choice.warnings) warn(`slipway: WARNING: ${w}`);
  }
  return choice;
}
