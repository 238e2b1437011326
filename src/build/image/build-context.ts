/**
 * The build context of a Dockerfile component: the source root joined with `source_dir`, and the
 * Dockerfile inside it. Nothing may lead outside the checked-out source.
 */
import { realpath, stat } from "node:fs/promises";
import { isAbsolute, normalize, relative, resolve, sep } from "node:path";
import { SlipwayError } from "../../resources/index.js";

/** A Dockerfile build's context: absolute folder and Dockerfile, and both as the spec names them. */
export interface BuildContext {
  dir: string;
  sourceDir: string;
  dockerfile: string;
  dockerfileRel: string;
}

async function inside(root: string, path: string, what: string): Promise<string> {
  const rel = relative(root, path);
  if (rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel))
    throw new SlipwayError(
      "invalid_argument",
      `${what} ${JSON.stringify(relative(root, path))} escapes ${root}: it must stay inside`,
    );
  const real = await realpath(path).catch(() => undefined);
  const realRoot = await realpath(root);
  if (real !== undefined) {
    const r = relative(realRoot, real);
    if (r.startsWith(`..${sep}`) || r === ".." || isAbsolute(r))
      throw new SlipwayError(
        "invalid_argument",
        `${what} ${JSON.stringify(rel)} leads outside ${root} through a symbolic link`,
      );
  }
  return rel;
}

/**
 * Resolves and checks the context (`sourceRoot` + `sourceDir`) and the Dockerfile in it. Throws
 * invalid_argument when either leads outside its root (`..` or a symbolic link) or the Dockerfile
 * path is absolute, failed_precondition when the Dockerfile is not a file.
 */
export async function buildContext(options: {
  sourceRoot: string;
  sourceDir?: string;
  dockerfilePath?: string;
}): Promise<BuildContext> {
  const sourceDir = normalize(options.sourceDir ?? "")
    .replace(/^\.?\/?$/, "")
    .replace(/\/+$/, "");
  const dir = resolve(options.sourceRoot, sourceDir);
  await inside(options.sourceRoot, dir, "source_dir");
  const requested = options.dockerfilePath ?? "Dockerfile";
  if (isAbsolute(requested))
    throw new SlipwayError(
      "invalid_argument",
      `dockerfile_path ${JSON.stringify(requested)} must be relative to the source directory`,
    );
  const dockerfile = resolve(dir, requested);
  const dockerfileRel = await inside(dir, dockerfile, "dockerfile_path");
  const info = await stat(dockerfile).catch(() => undefined);
  if (info === undefined || !info.isFile())
    throw new SlipwayError(
      "failed_precondition",
      `dockerfile_path: no file ${dockerfileRel} in ${sourceDir === "" ? "the source root" : `source_dir ${sourceDir}`}`,
    );
  return { dir, sourceDir, dockerfile, dockerfileRel };
}
