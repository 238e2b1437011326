/**
 * App Platform instance sizes (reference 1.16): CPU and memory limits for each slug, and the
 * flags that constrain scaling. The runtime turns `cpus` and `memoryMiB` into sandbox limits.
 */

/** One instance size. */
export interface InstanceSize {
  slug: string;
  /** CPUs the instance may use (a shared CPU counts as 1). */
  cpus: number;
  memoryMiB: number;
  /** Dedicated CPU. */
  dedicated: boolean;
  /** Only one instance may run at this size. */
  singleInstanceOnly: boolean;
  /** Autoscaling is allowed at this size. */
  scalable: boolean;
  /** The slug still works but has a replacement. */
  deprecatedFor?: string;
}

function shared(slug: string, cpus: number, memoryMiB: number, singleInstanceOnly = false): InstanceSize {
  return { slug, cpus, memoryMiB, dedicated: false, singleInstanceOnly, scalable: false };
}
function dedicated(slug: string, cpus: number, memoryMiB: number): InstanceSize {
  return { slug, cpus, memoryMiB, dedicated: true, singleInstanceOnly: false, scalable: true };
}
function deprecated(slug: string, replacement: string, cpus: number, memoryMiB: number): InstanceSize {
  return { ...shared(slug, cpus, memoryMiB), deprecatedFor: replacement };
}

const SIZES: readonly InstanceSize[] = [
  shared("apps-s-1vcpu-0.5gb", 1, 512, true),
  shared("apps-s-1vcpu-1gb-fixed", 1, 1024, true),
  shared("apps-s-1vcpu-1gb", 1, 1024),
  shared("apps-s-1vcpu-2gb", 1, 2048),
  shared("apps-s-2vcpu-4gb", 2, 4096),
  dedicated("apps-d-1vcpu-0.5gb", 1, 512),
  dedicated("apps-d-1vcpu-1gb", 1, 1024),
  dedicated("apps-d-1vcpu-2gb", 1, 2048),
  dedicated("apps-d-1vcpu-4gb", 1, 4096),
  dedicated("apps-d-2vcpu-4gb", 2, 4096),
  dedicated("apps-d-2vcpu-8gb", 2, 8192),
  dedicated("apps-d-4vcpu-8gb", 4, 8192),
  dedicated("apps-d-4vcpu-16gb", 4, 16384),
  dedicated("apps-d-8vcpu-32gb", 8, 32768),
  deprecated("basic-xxs", "apps-s-1vcpu-0.5gb", 1, 512),
  deprecated("basic-xs", "apps-s-1vcpu-1gb", 1, 1024),
  deprecated("basic-s", "apps-s-1vcpu-2gb", 1, 2048),
  deprecated("basic-m", "apps-s-2vcpu-4gb", 2, 4096),
  deprecated("professional-xs", "apps-s-1vcpu-1gb", 1, 1024),
  deprecated("professional-s", "apps-s-1vcpu-2gb", 1, 2048),
  deprecated("professional-m", "apps-s-2vcpu-4gb", 2, 4096),
  deprecated("professional-1l", "apps-d-1vcpu-4gb", 1, 4096),
  deprecated("professional-l", "apps-d-2vcpu-8gb", 2, 8192),
  deprecated("professional-xl", "apps-d-4vcpu-16gb", 4, 16384),
];

/** Every accepted slug, current ones first. */
export const INSTANCE_SIZE_SLUGS = SIZES.map((s) => s.slug);

/** The size used when a component names none. */
export const DEFAULT_INSTANCE_SIZE = "apps-s-1vcpu-0.5gb";

/** Looks up a slug; undefined for an unknown one. */
export function instanceSize(slug: string): InstanceSize | undefined {
  return SIZES.find((s) => s.slug === slug);
}
