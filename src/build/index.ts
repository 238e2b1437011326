/**
 * The build domain: stacks, sources (git, inline files, uploads), the build lifecycle (detect,
 * restore, build, export) with its artifact store and cache, and image builds (Dockerfiles,
 * prebuilt images).
 */

export * from "./image/index.js";
export * from "./lifecycle/index.js";
export * from "./source/index.js";
export * from "./stack/index.js";
export { createUploadStore, type StoredUpload, type UploadStore } from "./upload-store.js";
