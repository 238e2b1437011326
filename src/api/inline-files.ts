/**
 * Checks an app's inline files as the API receives them: the build domain's validateInlineFiles
 * (paths normalized; `..`, absolute paths, `.git`, duplicates and oversize files refused), with
 * every problem reported at once as `source.files[i].path: ...`.
 */
import { validateInlineFiles } from "../build/index.js";
import { type InlineFile, SlipwayError } from "../resources/index.js";

/** The `source` of a create or update body. */
export type AppSourceJson = { upload: string } | { files: InlineFile[] };
/** The `source` of a propose body: an app source or a git repository. */
export type ProposeSourceJson = AppSourceJson | { git: { repo_clone_url: string; branch?: string } };

/**
 * The files with their paths normalized, as the App stores them; invalid_argument listing every
 * problem otherwise.
 */
export function checkInlineFiles(files: InlineFile[]): InlineFile[] {
  const result = validateInlineFiles(files);
  if (!result.ok) {
    const details = result.errors.map((e) => ({ path: `source.${e.path}`, message: e.message }));
    const first = details[0];
    throw new SlipwayError(
      "invalid_argument",
      `${first?.path ?? "source.files"}: ${first?.message ?? "invalid"}${details.length > 1 ? ` (and ${details.length - 1} more)` : ""}`,
      { details },
    );
  }
  return files.map((file, i) => ({ ...file, path: result.files[i]?.path ?? file.path }));
}
