/**
 * Materializes validated inline files into an empty folder.
 */
import { constants } from "node:fs";
import { chmod, mkdir, open, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { NormalizedInlineFile } from "./inline-files.js";
import { normalizeRelativePath } from "./relative-path.js";

/**
 * Writes `files` (the output of `validateInlineFiles`) under `dest`, creating `dest` and parent
 * folders (mode 0755) as needed; files get mode 0644, or 0755 when `executable`. `dest` must not
 * exist or be empty, so nothing in it can be a symbolic link: files are opened with
 * O_CREAT|O_EXCL|O_NOFOLLOW all the same, and no link is ever created. Throws when `dest` is not
 * empty, a path is not normalized (a caller skipped validation), or the disk fails.
 */
export async function writeInlineFiles(files: readonly NormalizedInlineFile[], dest: string): Promise<void> {
  await mkdir(dest, { recursive: true, mode: 0o755 });
  if ((await readdir(dest)).length > 0) throw new Error(`writeInlineFiles: ${dest} is not empty`);
  for (const file of files) {
    const checked = normalizeRelativePath(file.path);
    if (!checked.ok || checked.path !== file.path) {
      throw new Error(
        `writeInlineFiles: ${JSON.stringify(file.path)} was not validated by validateInlineFiles`,
      );
    }
    const target = join(dest, file.path);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    const mode = file.executable ? 0o755 : 0o644;
    const handle = await open(
      target,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      mode,
    );
    try {
      await handle.writeFile(file.content);
    } finally {
      await handle.close();
    }
    // The umask may have cleared bits of `mode`; the result must not depend on the server's umask.
    await chmod(target, mode);
  }
}
