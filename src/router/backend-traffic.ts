/**
 * Request totals per HAProxy backend, read through the runtime API's `show stat` (CSV): the
 * traffic signal of scale to zero (ADR 0023). A total only matters by changing; HAProxy resets
 * it on a reload, which the reader sees as one more change (activity), never as idleness.
 */
import type { RuntimeApi } from "./runtime-api.js";

/**
 * Parses `show stat` CSV into backend name -> requests so far: the `req_tot` column (HTTP
 * requests) of each `BACKEND` row, or `stot` (sessions) where HAProxy leaves `req_tot` empty.
 */
export function parseBackendTotals(csv: string): Map<string, number> {
  const lines = csv.split("\n").filter((l) => l.trim() !== "");
  const header = (lines.find((l) => l.startsWith("# ")) ?? "").slice(2).split(",");
  const at = (name: string) => header.indexOf(name);
  const [px, sv, req, stot] = [at("pxname"), at("svname"), at("req_tot"), at("stot")];
  const out = new Map<string, number>();
  if (px < 0 || sv < 0 || stot < 0) return out;
  for (const line of lines) {
    if (line.startsWith("#")) continue;
    const f = line.split(",");
    if (f[sv] !== "BACKEND") continue;
    const text = req >= 0 && f[req] !== "" ? f[req] : f[stot];
    const total = Number(text);
    if (f[px] !== undefined && text !== "" && Number.isFinite(total)) out.set(f[px], total);
  }
  return out;
}

/** Reads every backend's request total now. */
export async function readBackendTotals(api: Pick<RuntimeApi, "command">): Promise<Map<string, number>> {
  return parseBackendTotals(await api.command("show stat"));
}
