/**
 * `slipway doctor`: checks what this machine needs to run Slipway and how well it isolates apps
 * (ADR 0027), printing one `OK`, `WARN` or `FAIL` line per check. Exit 1 when anything FAILs
 * (Slipway cannot work), 0 otherwise; a fallback from gVisor is a loud WARN, not a failure.
 */
import { constants } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { detectSandboxRuntime } from "../runtime/local/index.js";
import { runBounded } from "../runtime/local/runsc-command.js";

/** One check's outcome. */
export interface DoctorCheck {
  status: "OK" | "WARN" | "FAIL";
  name: string;
  message: string;
}

/** The report's text: one line per check (warnings of the node indented below), then a summary. */
export function formatDoctorReport(checks: readonly DoctorCheck[]): string {
  const lines = checks.map((c) => `${c.status.padEnd(4)} ${c.name}: ${c.message}`);
  const count = (s: DoctorCheck["status"]) => checks.filter((c) => c.status === s).length;
  lines.push(`${count("FAIL")} failed, ${count("WARN")} warnings, ${count("OK")} ok`);
  return `${lines.join("\n")}\n`;
}

async function tool(
  name: string,
  file: string,
  args: string[],
  missing: "WARN" | "FAIL",
  why: string,
): Promise<DoctorCheck> {
  const run = await runBounded(file, args, 10_000);
  const text = `${run.stdout}\n${run.stderr}`.trim().split("\n")[0] ?? "";
  if (run.code === 0) return { status: "OK", name, message: text };
  return {
    status: missing,
    name,
    message: `${file} ${args.join(" ")} failed (${text || "not found"}); ${why}`,
  };
}

async function sandboxChecks(): Promise<DoctorCheck[]> {
  const found = await detectSandboxRuntime();
  const runsc: DoctorCheck =
    found.kind === "gvisor"
      ? { status: "OK", name: "runsc", message: `gVisor ${found.version} runs sandboxes` }
      : {
          status: "WARN",
          name: "runsc",
          message: `gVisor cannot run here, apps would NOT be isolated by it (${found.kind === "process" ? found.reason : found.reasons.join("; ")}); install runsc (apt-get install runsc)`,
        };
  const bwrap = await detectSandboxRuntime({ skipRunsc: true });
  const bw: DoctorCheck =
    bwrap.kind === "bubblewrap"
      ? {
          status: "OK",
          name: "bwrap",
          message: "bubblewrap runs sandboxes (the fallback when runsc cannot run)",
        }
      : {
          status: "WARN",
          name: "bwrap",
          message: `no bubblewrap fallback: ${bwrap.kind === "process" ? bwrap.reason : ""}; without runsc apps would run as plain processes (apt-get install bubblewrap)`,
        };
  return [runsc, bw];
}

async function cgroupCheck(): Promise<DoctorCheck> {
  const v2 = await access("/sys/fs/cgroup/cgroup.controllers").then(
    () => true,
    () => false,
  );
  if (v2) return { status: "OK", name: "cgroup", message: "cgroup v2 (unified)" };
  const v1 = await access("/sys/fs/cgroup/memory/memory.limit_in_bytes").then(
    () => true,
    () => false,
  );
  return v1
    ? {
        status: "WARN",
        name: "cgroup",
        message:
          "cgroup v1: limits work, but v2 is recommended (boot with systemd.unified_cgroup_hierarchy=1)",
      }
    : {
        status: "FAIL",
        name: "cgroup",
        message: "no memory cgroup under /sys/fs/cgroup: instance limits cannot be set",
      };
}

async function dataDirCheck(dir: string): Promise<DoctorCheck> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined)
    return {
      status: "WARN",
      name: "data dir",
      message: `${dir} does not exist yet; slipway server creates it`,
    };
  if (!info.isDirectory()) return { status: "FAIL", name: "data dir", message: `${dir} is not a directory` };
  const writable = await access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
  if (!writable) return { status: "FAIL", name: "data dir", message: `${dir} is not writable by this user` };
  if ((info.mode & 0o077) !== 0)
    return {
      status: "WARN",
      name: "data dir",
      message: `${dir} is readable by others (mode ${(info.mode & 0o777).toString(8)}); chmod 700 it: it holds the admin token and secret key`,
    };
  return { status: "OK", name: "data dir", message: `${dir} (mode 700)` };
}

async function nodeCheck(url: string, token: string | undefined): Promise<DoctorCheck[]> {
  const res = await fetch(`${url}/v1/node`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  }).catch((err: unknown) => err as Error);
  if (res instanceof Error)
    return [
      {
        status: "WARN",
        name: "server",
        message: `not reachable at ${url} (${res.message}); is slipway server running?`,
      },
    ];
  if (!res.ok)
    return [
      {
        status: "WARN",
        name: "server",
        message: `${url}/v1/node answered ${res.status}; pass a token (SLIPWAY_TOKEN)`,
      },
    ];
  const body = (await res.json()) as { sandbox?: { runtime: string; isolated: boolean; warnings: string[] } };
  const sandbox = body.sandbox;
  if (sandbox === undefined)
    return [{ status: "WARN", name: "server", message: `${url} sent no node status` }];
  if (sandbox.isolated)
    return [{ status: "OK", name: "server", message: `${url} runs apps in ${sandbox.runtime} (isolated)` }];
  return [
    {
      status: "WARN",
      name: "server",
      message: `${url} runs apps in ${sandbox.runtime}: NOT isolated by gVisor`,
    },
    ...sandbox.warnings.map((w): DoctorCheck => ({ status: "WARN", name: "server", message: w })),
  ];
}

/** Runs `slipway doctor`; `argv` excludes `doctor`. Writes the report to stdout; returns the exit code. */
export async function runDoctor(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { "data-dir": { type: "string" }, url: { type: "string" }, token: { type: "string" } },
  });
  const dataDir = values["data-dir"] ?? env.SLIPWAY_DATA_DIR ?? "/var/lib/slipway";
  const url = (values.url ?? env.SLIPWAY_URL ?? "http://127.0.0.1:8420").replace(/\/$/, "");
  const token =
    values.token ??
    env.SLIPWAY_TOKEN ??
    (await readFile(join(dataDir, "admin-token"), "utf8").then(
      (t) => t.trim(),
      () => undefined,
    ));
  const images = "Dockerfile builds and image components will not work";
  const checks = [
    ...(await sandboxChecks()),
    await tool("haproxy", "haproxy", ["-v"], "FAIL", "the router needs it (apt-get install haproxy)"),
    await tool("buildah", "buildah", ["--version"], "WARN", images),
    await tool("skopeo", "skopeo", ["--version"], "WARN", images),
    await tool("umoci", "umoci", ["--version"], "WARN", images),
    await tool(
      "nft",
      "nft",
      ["--version"],
      "FAIL",
      "app networks are isolated with nftables (apt-get install nftables)",
    ),
    await cgroupCheck(),
    await dataDirCheck(dataDir),
    ...(await nodeCheck(url, token)),
  ];
  process.stdout.write(formatDoctorReport(checks));
  return checks.some((c) => c.status === "FAIL") ? 1 : 0;
}
