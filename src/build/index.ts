/**
 * The build domain: stacks, and the build lifecycle (detect, restore, build, export) with its artifact store and cache,
 * and image builds (Dockerfiles, prebuilt images).
 */

export * from "./image/index.js";
export * from "./lifecycle/index.js";
export * from "./stack/index.js";
