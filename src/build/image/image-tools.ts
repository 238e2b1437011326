/**
 * Where the image tools are and the environment they run with. Paths are injectable so that an
 * operator can pin versions and tests can count invocations.
 */
import { SlipwayError } from "../../resources/index.js";
import { runTool, type ToolResult } from "./run-tool.js";

/** Paths of the external tools; each defaults to its name, looked up in PATH. */
export interface ImageTools {
  buildah?: string;
  skopeo?: string;
  umoci?: string;
  runsc?: string;
}

/** The system path given to tools: they need nothing else from Slipway's own environment. */
export const TOOL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The base environment of a tool run: PATH, and TMPDIR inside the build's work folder. */
export function toolEnv(
  tmpDir: string,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { PATH: TOOL_PATH, HOME: tmpDir, TMPDIR: tmpDir, ...extra };
}

/**
 * Unpacks the image tagged `tag` in OCI layout `layout` into `rootfs` with `umoci raw unpack`
 * (layers applied in order, whiteouts honoured, owners kept; no mtree, which `umoci unpack`
 * spends about 20 s on for a 1 GB image). Throws internal with the tool's tail on failure.
 */
export async function unpackLayout(options: {
  umoci: string;
  layout: string;
  tag: string;
  rootfs: string;
  tmpDir: string;
  signal?: AbortSignal;
  mask: (line: string) => string;
  log?: (line: string) => void;
}): Promise<void> {
  const result: ToolResult = await runTool({
    command: options.umoci,
    args: ["raw", "unpack", "--image", `${options.layout}:${options.tag}`, options.rootfs],
    env: toolEnv(options.tmpDir),
    mask: options.mask,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  if (result.code !== 0)
    throw new SlipwayError(
      "internal",
      `unpacking ${options.layout}:${options.tag} into ${options.rootfs} failed (${result.aborted ? "aborted" : `umoci exit code ${String(result.code)}`})\n${result.tail.join("\n")}`,
    );
}
