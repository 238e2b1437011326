/** What buildDockerfile and pullImage return. */
import type { StoredImageArtifact } from "../lifecycle/index.js";

/** An image artifact and how it was obtained. */
export interface ImageResult extends StoredImageArtifact {
  /** True when the artifact already existed: nothing was pulled or built. */
  reused: boolean;
  /** Wall time of the call. */
  durationMs: number;
}
