/**
 * Sandbox limits for App Platform instance sizes (reference 1.16; the slug table lives in
 * src/spec/instance-sizes.ts): CPU quota and memory limit straight from the slug, plus the host
 * task and tmpfs limits the sandbox needs (ADR 0006, ADR 0012). Pure.
 */
import { DEFAULT_INSTANCE_SIZE, instanceSize } from "../../spec/index.js";

/** What one instance may use. */
export interface InstanceLimits {
  slug: string;
  cpus: number;
  memoryMiB: number;
  /** Host tasks (sentry, gofer, one per process on ptrace): at least a few hundred (ADR 0006). */
  pidsLimit: number;
  /** Size of the private `/tmp` (counted in the memory limit, as tmpfs is memory). */
  tmpMiB: number;
}

/**
 * The limits for `slug` (default `apps-s-1vcpu-0.5gb`: 1 CPU, 512 MiB). Throws a message that
 * names the slug when it is unknown.
 */
export function instanceLimits(slug: string = DEFAULT_INSTANCE_SIZE): InstanceLimits {
  const size = instanceSize(slug);
  if (size === undefined) throw new Error(`unknown instance size ${JSON.stringify(slug)}`);
  return { slug: size.slug, ...sandboxLimits(size.cpus, size.memoryMiB) };
}

/** The host task and /tmp limits that go with `cpus` and `memoryMiB` (any size, not only a slug's). */
export function sandboxLimits(cpus: number, memoryMiB: number): Omit<InstanceLimits, "slug"> {
  return {
    cpus,
    memoryMiB,
    pidsLimit: 512 + Math.ceil(64 * cpus),
    tmpMiB: Math.round(Math.min(1024, Math.max(64, memoryMiB / 4))),
  };
}
