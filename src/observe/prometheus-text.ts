/**
 * Reading Prometheus text exposition (format 0.0.4), as HAProxy's exporter writes it: just the
 * samples, comments and types skipped.
 */

/** One sample: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/**
 * The samples of `text` whose metric name is in `names` (all when absent). Lines that are not
 * samples, or whose labels do not parse, are skipped: a scrape is read as far as it makes sense.
 */
export function parsePrometheusText(text: string, names?: ReadonlySet<string>): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (m === null) continue;
    const name = m[1] as string;
    if (names !== undefined && !names.has(name)) continue;
    const labels = parseLabels(m[2] ?? "");
    if (labels === undefined) continue;
    const value = Number(m[3]);
    if (Number.isNaN(value) && m[3] !== "NaN") continue;
    out.push({ name, labels, value });
  }
  return out;
}

function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (m === null) return undefined;
    labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return labels;
}
