/**
 * Dependency rules from DESIGN.md, checked on the compiled JavaScript in dist/ (TypeScript 7 has no JS compiler API for the cruiser to parse .ts with): dependencies point inward, and no cycles.
 * spec and resources depend on nothing of ours; store/build/runtime/router/observe depend only on
 * those; controllers never import a concrete store or runtime; api/cli/web sit at the edge.
 */
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
    {
      name: "spec-is-a-leaf",
      comment: "spec depends on nothing of ours",
      severity: "error",
      from: { path: "^dist/src/spec/" },
      to: { path: "^dist/src/", pathNot: "^dist/src/spec/" },
    },
    {
      name: "resources-depend-only-on-spec",
      severity: "error",
      from: { path: "^dist/src/resources/" },
      to: { path: "^dist/src/", pathNot: ["^dist/src/resources/", "^dist/src/spec/"] },
    },
    {
      name: "secrets-depend-only-on-spec-and-resources",
      comment: "secret encryption is used by api, main and whoever decrypts; it needs only the spec",
      severity: "error",
      from: { path: "^dist/src/secrets/" },
      to: { path: "^dist/src/", pathNot: ["^dist/src/secrets/", "^dist/src/spec/", "^dist/src/resources/"] },
    },
    {
      name: "middle-layers-depend-inward",
      severity: "error",
      from: { path: "^dist/src/(store|build|detect|runtime|router|observe)/" },
      to: { path: "^dist/src/(controllers|api|cli|web|main)/" },
    },
    {
      name: "controllers-get-interfaces",
      comment: "a controller never imports a concrete runtime or store; it is handed interfaces",
      severity: "error",
      from: { path: "^dist/src/controllers/" },
      to: { path: "^dist/src/(store/(sqlite|kubernetes)|runtime/(local|kubernetes))/" },
    },
    {
      name: "nothing-imports-the-edge",
      severity: "error",
      from: { path: "^dist/src/", pathNot: "^dist/src/(api|cli|web|main)/" },
      to: { path: "^dist/src/(api|cli|web|main)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    
    
    exclude: { path: "\\.test\\.js$" },
  },
};
