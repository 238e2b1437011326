/**
 * Prebuilt image sources: the app spec's `image` block pulled through the configured registry
 * mirrors into an image artifact (`rootfs/` + run config). `skopeo inspect` resolves a tag to its
 * manifest digest first, so an image already in the store is never pulled again.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SlipwayError } from "../../resources/index.js";
import {
  createMasker,
  publishImageArtifact,
  readImageArtifact,
  type StoredImageArtifact,
} from "../lifecycle/index.js";
import { pulledImageId } from "./image-artifact-id.js";
import { type ImageReferenceOptions, type ImageSourceSpec, imageReference } from "./image-reference.js";
import type { ImageResult } from "./image-result.js";
import { type ImageTools, toolEnv, unpackLayout } from "./image-tools.js";
import { readLayoutImage } from "./oci-layout.js";
import { type RegistryMirrors, type ResolvedReference, resolveReference } from "./registry-mirrors.js";
import { runTool, type ToolResult } from "./run-tool.js";

/** Options of {@link pullImage}. */
export interface PullImageOptions extends ImageReferenceOptions {
  /** The component's `image` block. */
  source: ImageSourceSpec;
  /** The artifact store's root. */
  artifactsRoot: string;
  /** Scratch space; a folder per pull is made below it and removed. Same file system as `artifactsRoot` avoids a copy. */
  workRoot: string;
  /** Default none: references are fetched from the registry they name. */
  mirrors?: RegistryMirrors;
  /** Default: tools from PATH. */
  tools?: ImageTools;
  /** Wall-time limit of the whole pull; default 900000 (15 min). */
  timeoutMs?: number;
  /** Aborting stops the pull. */
  signal?: AbortSignal;
  /** Receives skopeo's and umoci's output lines, credentials masked. */
  log?: (line: string) => void;
}

const LAYOUT_TAG = "image";

interface PullCtx {
  options: PullImageOptions;
  skopeo: string;
  tmp: string;
  signal: AbortSignal;
  mask: (line: string) => string;
  auth: string[];
}

/**
 * Pulls `source` into an image artifact, or returns the existing one (`reused: true`). With a
 * pinned digest the store is checked before any registry is contacted. Throws SlipwayError
 * not_found naming the reference (and the mirror it was fetched from) for an unknown repository,
 * tag or digest; unavailable when the registry cannot be reached or the limit is reached;
 * invalid_argument for a malformed source or mirror.
 */
export async function pullImage(options: PullImageOptions): Promise<ImageResult> {
  const started = performance.now();
  const done = (a: StoredImageArtifact, reused: boolean): ImageResult => ({
    ...a,
    reused,
    durationMs: Math.round(performance.now() - started),
  });
  const ref = imageReference(options.source, options);
  const resolved = resolveReference(ref.name, options.mirrors);
  if (ref.digest !== undefined) {
    const existing = await readImageArtifact(options.artifactsRoot, pulledImageId(ref.digest));
    if (existing !== undefined) return done(existing, true);
  }
  const secret = options.source.registry_credentials ?? "";
  const mask = createMasker([secret, secret.split(":").slice(1).join(":")]);
  await mkdir(options.workRoot, { recursive: true });
  const tmp = await mkdtemp(join(options.workRoot, "pull-"));
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs ?? 900_000),
    ...(options.signal === undefined ? [] : [options.signal]),
  ]);
  try {
    const ctx: PullCtx = { options, skopeo: options.tools?.skopeo ?? "skopeo", tmp, signal, mask, auth: [] };
    if (secret !== "") ctx.auth = await writeAuthFile(tmp, resolved, secret);
    const digest = ref.digest ?? (await inspectDigest(ctx, resolved, ref.text, ref.tag));
    const id = pulledImageId(digest);
    const existing = await readImageArtifact(options.artifactsRoot, id);
    if (existing !== undefined) return done(existing, true);
    const layout = join(tmp, "layout");
    const copied = await skopeo(ctx, [
      "copy",
      `--src-tls-verify=${String(resolved.tlsVerify)}`,
      ...ctx.auth.map((a) => a.replace("--authfile", "--src-authfile")),
      `docker://${resolved.fetch}@${digest}`,
      `oci:${layout}:${LAYOUT_TAG}`,
    ]);
    if (copied.code !== 0) throw pullError(ctx, copied, `${ref.name}@${digest}`, resolved);
    const rootfs = join(tmp, "rootfs");
    await unpackLayout({
      umoci: options.tools?.umoci ?? "umoci",
      layout,
      tag: LAYOUT_TAG,
      rootfs,
      tmpDir: tmp,
      signal,
      mask,
      ...logOpt(options),
    });
    const { config } = await readLayoutImage(layout, LAYOUT_TAG);
    const artifact = await publishImageArtifact(options.artifactsRoot, rootfs, {
      id,
      origin: "pull",
      source: ref.text,
      imageDigest: digest,
      ...config,
      createdAt: new Date().toISOString(),
    });
    return done(artifact, false);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const logOpt = (o: { log?: (line: string) => void }) => (o.log === undefined ? {} : { log: o.log });

function skopeo(ctx: PullCtx, args: string[], captureStdout = false): Promise<ToolResult> {
  return runTool({
    command: ctx.skopeo,
    args,
    env: toolEnv(ctx.tmp),
    signal: ctx.signal,
    mask: ctx.mask,
    captureStdout,
    ...logOpt(ctx.options),
  });
}

async function inspectDigest(
  ctx: PullCtx,
  resolved: ResolvedReference,
  text: string,
  tag: string,
): Promise<string> {
  const result = await skopeo(
    ctx,
    [
      "inspect",
      "--no-tags",
      `--tls-verify=${String(resolved.tlsVerify)}`,
      ...ctx.auth,
      `docker://${resolved.fetch}:${tag}`,
    ],
    true,
  );
  if (result.code !== 0) throw pullError(ctx, result, text, resolved);
  const digest = (JSON.parse(result.stdout) as { Digest?: unknown }).Digest;
  if (typeof digest !== "string" || !/^sha256:[a-f0-9]{64}$/.test(digest))
    throw new SlipwayError("internal", `skopeo inspect of ${text} gave no manifest digest`);
  return digest;
}

function pullError(
  ctx: PullCtx,
  result: ToolResult,
  text: string,
  resolved: ResolvedReference,
): SlipwayError {
  const via = resolved.fetch === resolved.original ? "" : ` (fetched from the mirror ${resolved.fetch})`;
  const output = result.tail.join("\n");
  if (result.aborted)
    return new SlipwayError(
      "unavailable",
      `pulling image ${text}${via} was stopped: ${ctx.signal.reason instanceof Error && ctx.signal.reason.name === "TimeoutError" ? "the time limit was reached" : "aborted"}`,
    );
  if (
    /manifest unknown|name unknown|not found|repository name not known|requested access to the resource is denied/i.test(
      output,
    )
  )
    return new SlipwayError(
      "not_found",
      `image ${text}${via} was not found: check image.repository, image.tag and image.digest, and that the registry holds it\n${output}`,
    );
  return new SlipwayError(
    "unavailable",
    `pulling image ${text}${via} failed (skopeo exit code ${String(result.code)})\n${output}`,
  );
}

async function writeAuthFile(
  tmp: string,
  resolved: ResolvedReference,
  credentials: string,
): Promise<string[]> {
  const host = resolved.fetch.split("/")[0] ?? resolved.fetch;
  const path = join(tmp, "auth.json");
  const auth = Buffer.from(credentials).toString("base64");
  await writeFile(path, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
  return [`--authfile=${path}`];
}
