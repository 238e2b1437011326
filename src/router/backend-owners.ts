/**
 * Which app and component each HAProxy backend serves (ADR 0022), for reading HAProxy's
 * per-backend metrics back as per-component ones.
 */
import type { RouterState } from "./router-state.js";

const SPARE = /^spare__\d+$/;
const OWN = /^([a-z0-9][a-z0-9-]*)__([a-z0-9][a-z0-9-]*)$/;

/**
 * HAProxy backend name -> `{ app, component }`: a spare backend holding a component added since
 * the last reload answers for that component; a backend named `<app>__<component>` (app and
 * component names are DNS labels, so `__` splits them unambiguously) for itself unless the
 * placement moved that component elsewhere; free spares and anything else for nobody.
 */
export function backendOwners(state: Pick<RouterState, "placement">): (backend: string) => Owner | undefined {
  const placedOn = new Map<string, Owner>();
  const moved = new Set<string>();
  for (const [name, on] of Object.entries(state.placement)) {
    const owner = ownerOfName(name);
    if (owner === undefined) continue;
    placedOn.set(on, owner);
    if (on !== name) moved.add(name);
  }
  return (backend) => {
    const placed = placedOn.get(backend);
    if (placed !== undefined) return placed;
    if (SPARE.test(backend) || moved.has(backend)) return undefined;
    return ownerOfName(backend);
  };
}

/** An app and one of its components. */
export interface Owner {
  app: string;
  component: string;
}

function ownerOfName(name: string): Owner | undefined {
  const m = OWN.exec(name);
  return m === null ? undefined : { app: m[1] as string, component: m[2] as string };
}
