/**
 * Image builds and prebuilt image sources (see docs/adr/0010-image-builds.md): Dockerfile builds
 * with buildah (RUN steps in gVisor) and registry pulls with skopeo, both ending in an image
 * artifact (`<id>/rootfs/` + run config) in the artifact store.
 */
export { type BuildContext, buildContext } from "./build-context.js";
export {
  type BuildDockerfileOptions,
  buildDockerfile,
  type DockerfileLimits,
  type DockerfileNetwork,
} from "./build-dockerfile.js";
export { type DockerfileIdInputs, dockerfileImageId, pulledImageId } from "./image-artifact-id.js";
export {
  type ImageReference,
  type ImageReferenceOptions,
  type ImageSourceSpec,
  imageReference,
} from "./image-reference.js";
export type { ImageResult } from "./image-result.js";
export { type ImageTools, TOOL_PATH } from "./image-tools.js";
export { readLayoutImage } from "./oci-layout.js";
export { type PullImageOptions, pullImage } from "./pull-image.js";
export {
  mirrorsFingerprint,
  type RegistryMirrors,
  type ResolvedReference,
  renderRegistriesConf,
  resolveReference,
} from "./registry-mirrors.js";
export { runscWrapperScript } from "./runsc-wrapper.js";

/** The name a Dockerfile uses for Slipway's stack image: `FROM slipway/stack:<suite or version>`. */
export const STACK_IMAGE = "slipway/stack";
