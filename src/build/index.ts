/**
 * The build domain: stacks, and (later) builders, the artifact store and the build cache.
 */
export * from "./stack/index.js";
