/**
 * `slipway ca export [--data-dir DIR] [-o FILE]`: the root certificate of the server's local CA
 * (ADR 0020), for clients to trust its HTTPS (`curl --cacert`, a system trust store).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SlipwayError } from "../resources/index.js";
import { type CliIo, UsageError } from "./io.js";

/** Usage lines of the CA commands, for `slipway help`. */
export const CA_USAGE = [
  "slipway ca export [--data-dir DIR] [-o FILE]",
  "    Print (or write to FILE) the root certificate of the server's local CA, which signs the",
  "    HTTPS certificates of apps (data dir default $SLIPWAY_DATA_DIR or /var/lib/slipway).",
];

/** `slipway ca export`: reads `<data-dir>/ca/ca.pem`; exit 1 when the server never made one. */
export async function caExport(io: CliIo, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { "data-dir": { type: "string" }, output: { type: "string", short: "o" } },
  });
  if (positionals.length > 0)
    throw new UsageError(`slipway ca export: unexpected argument "${positionals[0]}"`);
  const dataDir = values["data-dir"] ?? io.env.SLIPWAY_DATA_DIR ?? "/var/lib/slipway";
  // The layout of `slipway server`'s data directory (src/main/router-tls.ts caDir).
  const file = join(dataDir, "ca", "ca.pem");
  let pem: string;
  try {
    pem = new TextDecoder().decode(await io.readFile(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw err;
    throw new SlipwayError(
      "not_found",
      `slipway ca export: no CA at ${file}; start \`slipway server --data-dir ${dataDir}\` once (it creates the CA), or pass the server's --data-dir`,
    );
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----"))
    throw new SlipwayError("failed_precondition", `slipway ca export: ${file} holds no PEM certificate`);
  if (!pem.endsWith("\n")) pem += "\n";
  if (values.output === undefined) io.stdout(pem);
  else await io.writeFile(values.output, pem, 0o644);
  return 0;
}
