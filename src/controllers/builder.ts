/**
 * What the Build controller is handed to run builds. The real builder (src/build) implements it
 * and is wired in by the composition root; controllers never import it.
 */
import type { Build } from "../resources/build.js";

/** One call of `Builder.build`. */
export interface BuildRequest {
  /** The Build resource as stored when the attempt started (spec: source, build fields, env keys). */
  build: Build;
  /**
   * Aborted when the Build is canceled or the controller stops. The builder should stop its work
   * and reject soon after; what it returns after an abort is ignored.
   */
  signal: AbortSignal;
  /** Receives the build's output, one line at a time, without the newline. */
  log(line: string): void;
}

/** What a successful build produced. */
export interface BuildResult {
  /** The content-addressed artifact id. */
  artifactId: string;
  /** True when an artifact with the same inputs existed and nothing was built. */
  reused: boolean;
  /** The commit that was built, for git sources. */
  sourceCommitHash?: string;
  /** What built it: the detected buildpack group (`nodejs`, `python`, ...), `dockerfile` or `image`. */
  builder?: string;
}

/**
 * Runs builds. `build` resolves with the artifact, or rejects with an Error whose message says
 * what failed for the user (it becomes the Build's `status.message` and the Deployment's step
 * reason). It may be called again for the same Build after a crash: it must be safe to repeat.
 */
export interface Builder {
  build(request: BuildRequest): Promise<BuildResult>;
}
