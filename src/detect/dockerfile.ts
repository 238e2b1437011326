/**
 * Dockerfile detection: a `Dockerfile` at the root of the source wins over every buildpack.
 */
import type { ProbeContext } from "./types.js";

/** A Dockerfile found, with the port its last `EXPOSE` names (if any). */
export type DockerfileRead =
  | { kind: "none" }
  | { kind: "found"; path: string; exposed?: number; evidence: string[] };

/** Looks for `Dockerfile` at the root of the source. */
export function readDockerfile(ctx: ProbeContext): DockerfileRead {
  if (!ctx.tree.exists("Dockerfile")) return { kind: "none" };
  const text = ctx.tree.read("Dockerfile") ?? "";
  const evidence = [`${ctx.show("Dockerfile")}: built with the Dockerfile`];
  const ports = [...text.matchAll(/^\s*EXPOSE\s+(\d+)/gim)].map((m) => Number(m[1]));
  const exposed = ports[ports.length - 1];
  if (exposed === undefined || exposed < 1 || exposed > 65535)
    return { kind: "found", path: "Dockerfile", evidence };
  evidence.push(`${ctx.show("Dockerfile")}: EXPOSE ${exposed}`);
  return { kind: "found", path: "Dockerfile", exposed, evidence };
}
