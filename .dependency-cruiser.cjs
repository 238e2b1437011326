/**
 * Dependency rules from DESIGN.md: dependencies point inward, and no cycles.
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
      from: { path: "^src/spec/" },
      to: { path: "^src/", pathNot: "^src/spec/" },
    },
    {
      name: "resources-depend-only-on-spec",
      severity: "error",
      from: { path: "^src/resources/" },
      to: { path: "^src/", pathNot: ["^src/resources/", "^src/spec/"] },
    },
    {
      name: "middle-layers-depend-inward",
      severity: "error",
      from: { path: "^src/(store|build|detect|runtime|router|observe)/" },
      to: { path: "^src/(controllers|api|cli|web|main)/" },
    },
    {
      name: "controllers-get-interfaces",
      comment: "a controller never imports a concrete runtime or store; it is handed interfaces",
      severity: "error",
      from: { path: "^src/controllers/" },
      to: { path: "^src/(store/(sqlite|kubernetes)|runtime/(local|kubernetes))/" },
    },
    {
      name: "nothing-imports-the-edge",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(api|cli|web|main)/" },
      to: { path: "^src/(api|cli|web|main)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    exclude: { path: "\\.test\\.ts$" },
  },
};
