/**
 * Output of the doctl-shaped commands: `-o table` (default), `-o json`, `-o yaml`.
 */
import { stringify } from "yaml";
import type { AppJson, DeploymentJson } from "../api/index.js";
import type { CliIo } from "./io.js";

/** An output format. */
export type OutputFormat = "table" | "json" | "yaml";

/** Checks a `-o` value (default table); undefined for a value that is not a format. */
export function outputFormat(value: string | undefined): OutputFormat | undefined {
  if (value === undefined) return "table";
  if (value === "table" || value === "json" || value === "yaml") return value;
  return undefined;
}

/** Prints rows as aligned columns with a header. */
export function printTable(io: CliIo, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("   ")
      .trimEnd();
  io.stdout(`${[line(header), ...rows.map(line)].join("\n")}\n`);
}

/** Prints `value` as JSON or YAML, or calls `table` for the table format. */
export function printAs(io: CliIo, format: OutputFormat, value: unknown, table: () => void): void {
  if (format === "json") io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === "yaml") io.stdout(stringify(value, { lineWidth: 0, aliasDuplicateObjects: false }));
  else table();
}

/** doctl's app columns. */
export function printApps(io: CliIo, apps: AppJson[]): void {
  printTable(
    io,
    [
      "ID",
      "Spec Name",
      "Default Ingress",
      "Active Deployment ID",
      "In Progress Deployment ID",
      "Created At",
      "Updated At",
    ],
    apps.map((a) => [
      a.id,
      a.spec.name,
      a.default_ingress,
      a.active_deployment?.id ?? "",
      a.in_progress_deployment?.id ?? a.pending_deployment?.id ?? "",
      a.created_at,
      a.updated_at,
    ]),
  );
}

/** `success/total`, with ` (errors: N)` when a step failed, as doctl shows progress. */
export function progressText(d: DeploymentJson): string {
  const p = d.progress;
  return `${p.success_steps}/${p.total_steps}${p.error_steps > 0 ? ` (errors: ${p.error_steps})` : ""}`;
}

/** doctl's deployment columns. */
export function printDeployments(io: CliIo, deployments: DeploymentJson[]): void {
  printTable(
    io,
    ["ID", "Cause", "Progress", "Phase", "Created", "Updated"],
    deployments.map((d) => [d.id, d.cause, progressText(d), d.phase, d.created_at, d.updated_at]),
  );
}
