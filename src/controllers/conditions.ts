/**
 * Kubernetes-style condition bookkeeping shared by the controllers.
 */
import type { Condition } from "../resources/meta.js";

/**
 * `conditions` with `next` in place of the condition of the same type. `lastTransitionTime` is
 * kept when the status did not change (so rewriting an unchanged condition changes nothing) and
 * set to `now` otherwise. The input is not modified; other types keep their order.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, "lastTransitionTime">,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index === -1 ? undefined : list[index];
  const lastTransitionTime =
    previous !== undefined && previous.status === next.status
      ? previous.lastTransitionTime
      : now.toISOString();
  const condition: Condition = { ...next, lastTransitionTime };
  if (index === -1) list.push(condition);
  else list[index] = condition;
  return list;
}
