#!/usr/bin/env node
// The `slipway` command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { existsSync } from "node:fs";

const entry = new URL("../dist/src/main/cli.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "slipway: not built yet; run `npm install` (or `npm run build`) in the checkout first\n",
  );
  process.exit(2);
}
await import(entry.href);
