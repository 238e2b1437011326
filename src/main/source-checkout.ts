/**
 * Puts code into a folder on the server, whatever it comes from: an uploaded archive, inline
 * files, or a git repository (https, or `file://` only when the server allows it). Shared by the
 * server's Builder and by the API's propose.
 */
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  fetchGitSource,
  gitCloneTarget,
  type UploadStore,
  unpackSource,
  validateInlineFiles,
  writeInlineFiles,
} from "../build/index.js";
import { type InlineFile, SlipwayError } from "../resources/index.js";

/** Where code comes from. */
export type CodeSource =
  | { kind: "upload"; digest: string }
  | { kind: "files"; files: InlineFile[] }
  | { kind: "git"; url: string; branch?: string | undefined };

/** What the server allows and needs for fetching code. */
export interface SourcePolicy {
  uploads: UploadStore;
  /** A CA bundle git trusts for https (an intercepting proxy's); default the system's. */
  caFile?: string;
  /** Allow `file://` git URLs (single-user machines, tests); default false. */
  allowFileGitUrls?: boolean;
}

/** Options of one checkout. */
export interface CheckoutRequest {
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/**
 * Writes `source` into `dest` (created; must not exist or be empty). Returns the commit for git.
 * Errors are SlipwayErrors a user can act on (unknown branch, a path leaving the tree, ...).
 */
export async function checkOutSource(
  policy: SourcePolicy,
  source: CodeSource,
  dest: string,
  request: CheckoutRequest = {},
): Promise<{ commit?: string }> {
  const log = request.log ?? (() => {});
  switch (source.kind) {
    case "upload": {
      if (!(await policy.uploads.has(source.digest)))
        throw new SlipwayError(
          "not_found",
          `upload ${source.digest} is not on this server; upload the folder again`,
        );
      log(`unpacking uploaded source ${source.digest}`);
      const unpacked = await unpackSource(createReadStream(policy.uploads.path(source.digest)), dest);
      log(`unpacked ${unpacked.entries} entries, ${unpacked.bytes} bytes`);
      return {};
    }
    case "files": {
      const checked = validateInlineFiles(source.files);
      if (!checked.ok)
        throw new SlipwayError(
          "invalid_argument",
          checked.errors.map((e) => `${e.path}: ${e.message}`).join("; "),
        );
      await mkdir(dest, { recursive: true });
      await writeInlineFiles(checked.files, dest);
      log(`wrote ${checked.files.length} inline files`);
      return {};
    }
    case "git": {
      let { url, branch } = source;
      if (!(url.startsWith("file://") && policy.allowFileGitUrls === true)) {
        const target = gitCloneTarget({
          git: { repo_clone_url: url, ...(branch === undefined ? {} : { branch }) },
        });
        if (!target.ok) throw new SlipwayError("invalid_argument", `${target.path}: ${target.message}`);
        if (target.target === undefined)
          throw new SlipwayError("invalid_argument", "no git repository given");
        ({ url, branch } = target.target);
      }
      const fetched = await fetchGitSource({
        url,
        branch,
        dest,
        signal: request.signal,
        log,
        ...(policy.caFile === undefined ? {} : { env: { GIT_SSL_CAINFO: policy.caFile } }),
      });
      log(`fetched ${fetched.commit}`);
      return { commit: fetched.commit };
    }
    default: {
      const unknown: never = source;
      throw new Error(`unknown source ${JSON.stringify(unknown)}`);
    }
  }
}

/** Checks `source` out into a new temporary folder under `workRoot`; `cleanup` removes it. */
export async function temporaryCheckout(
  policy: SourcePolicy,
  workRoot: string,
  source: CodeSource,
  request: CheckoutRequest = {},
): Promise<{ dir: string; commit?: string; cleanup: () => Promise<void> }> {
  await mkdir(workRoot, { recursive: true });
  const temp = await mkdtemp(join(workRoot, "checkout-"));
  const cleanup = () => rm(temp, { recursive: true, force: true });
  try {
    const dir = join(temp, "src");
    const { commit } = await checkOutSource(policy, source, dir, request);
    return { dir, ...(commit === undefined ? {} : { commit }), cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The CodeSource of an API body's `source` (`{upload}`, `{files}` or `{git}`). */
export function codeSourceOf(
  source: { upload: string } | { files: InlineFile[] } | { git: { repo_clone_url: string; branch?: string } },
): CodeSource {
  if ("upload" in source) return { kind: "upload", digest: source.upload };
  if ("files" in source) return { kind: "files", files: source.files };
  return { kind: "git", url: source.git.repo_clone_url, branch: source.git.branch };
}
