/**
 * Plain static sites: an `index.html` at the root of the source, served as is with no build.
 */
import type { Probe, ProbeContext } from "./types.js";

/** Detects a static site with no build; `none` without a root `index.html`. */
export function probeStatic(ctx: ProbeContext): Probe {
  if (ctx.tree.read("index.html") === undefined) return { kind: "none" };
  return {
    kind: "found",
    finding: {
      group: "static",
      language: "html",
      environmentSlug: "html",
      staticSite: true,
      evidence: [`${ctx.show("index.html")}: a static site served as is`],
      notes: [],
    },
  };
}
