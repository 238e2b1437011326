/**
 * The isolation probe (test/fixtures/isolation-probe) as inline source files, and waiting for an
 * app's first deployment through the API, for the server-level sandbox tests.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client, DeploymentJson } from "../../src/api/index.js";
import { repoRoot } from "./repo-root.js";
import { waitFor } from "./wait-for.js";

/** `source.files` of the probe. */
export function probeFiles(): { path: string; content: string }[] {
  const dir = join(repoRoot(), "test", "fixtures", "isolation-probe");
  return ["package.json", "server.js"].map((path) => ({
    path,
    content: readFileSync(join(dir, path), "utf8"),
  }));
}

/** Creates `app` (one probe service) and waits until its first deployment has ended; returns it. */
export async function deployProbe(
  client: Client,
  app: string,
  size = "apps-s-1vcpu-0.5gb",
): Promise<DeploymentJson> {
  const spec = { name: app, services: [{ name: "probe", http_port: 8080, instance_size_slug: size }] };
  await client.createApp({ body: { spec, source: { files: probeFiles() } } });
  let d: DeploymentJson | undefined;
  await waitFor(
    async () => {
      d = (await client.listDeployments({ params: { app }, query: {} })).deployments[0];
      return d !== undefined && ["ACTIVE", "ERROR", "CANCELED"].includes(d.phase);
    },
    600_000,
    `the first deployment of ${app}`,
  );
  return d as DeploymentJson;
}
