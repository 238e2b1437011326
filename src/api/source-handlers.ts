/**
 * Uploads of source folders: `POST /v1/sources` stores a .tar.gz by its digest, which an app then
 * names as `source: {upload: digest}`.
 */
import { SlipwayError } from "../resources/index.js";
import type { Handler } from "./call.js";
import type { Routes } from "./routes.js";

const createSource: Handler<Routes["createSource"]> = async ({ deps, rawBody, setTarget }) => {
  if (deps.uploads === undefined)
    throw new SlipwayError(
      "unavailable",
      "this server keeps no uploads (it was started without an upload store)",
    );
  if (rawBody === undefined || rawBody.length === 0)
    throw new SlipwayError("invalid_argument", "the upload is empty; send a .tar.gz of the source folder");
  const stored = await deps.uploads.put(rawBody);
  setTarget(`source/${stored.digest}`);
  return { digest: stored.digest, size_bytes: stored.sizeBytes };
};

/** The source route handlers. */
export const sourceHandlers = { createSource };
