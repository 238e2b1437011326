/**
 * Writes the app spec JSON Schema to a file for editors (`npm run schema`), or with `--check`
 * fails when the committed file differs from the schema in the code (`npm run schema:check`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { appSpecJsonSchema } from "./schema.js";

const [file, flag] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write("usage: write-schema FILE [--check]\n");
  process.exit(2);
}
const text = `${JSON.stringify(appSpecJsonSchema(), null, 2)}\n`;
if (flag === "--check") {
  let current = "";
  try {
    current = readFileSync(file, "utf8");
  } catch {
    // a missing file differs like any other
  }
  if (current !== text) {
    process.stderr.write(
      `${file} is out of date with src/spec/schema.ts; run \`npm run schema\` and commit it\n`,
    );
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
}
