/**
 * A tiny Node service for scale-to-zero tests and benchmarks, as inline files: it answers every
 * request with `hello from <name>, listening since <epoch ms>`, so a woken instance's first answer
 * says when its process began to accept connections.
 */
import type { AppSpec } from "../../src/spec/index.js";

/** The service's files (no dependencies: the build only writes the start command). */
export const SLEEPY_FILES = [
  {
    path: "package.json",
    content: `${JSON.stringify({ name: "sleepy", version: "1.0.0", private: true, main: "server.js", scripts: { start: "node server.js" }, type: "module" }, null, 2)}\n`,
  },
  {
    path: "server.js",
    content: `import { createServer } from "node:http";
const port = Number(process.env.PORT ?? 8080);
let since = 0;
createServer((req, res) => {
  res.setHeader("content-type", "text/plain");
  res.end(\`hello from \${process.env.WHO}, listening since \${since}\\n\`);
}).listen(port, () => {
  since = Date.now();
  console.log("listening on", port);
});
// As the sandbox's first process node would ignore SIGTERM without a handler.
process.on("SIGTERM", () => process.exit(0));
`,
  },
];

/** The epoch ms in a sleepy answer, or undefined when `body` is not one. */
export function listeningSince(body: string): number | undefined {
  const m = /listening since (\d+)/.exec(body);
  return m === null ? undefined : Number(m[1]);
}

/** A spec running the sleepy service as `web`; with `afterSeconds` it sleeps when idle. */
export function sleepySpec(name: string, sleep?: { afterSeconds: number; loadingPage: boolean }): AppSpec {
  return {
    name,
    services: [
      {
        name: "web",
        http_port: 8080,
        run_command: "node server.js",
        instance_count: 1,
        instance_size_slug: "apps-s-1vcpu-0.5gb",
        // An HTTP readiness check every second (HAProxy then checks the slots too, the activator's
        // included); the service exits on SIGTERM at once.
        health_check: { http_path: "/healthz", period_seconds: 1, failure_threshold: 3 },
        termination: { drain_seconds: 1, grace_period_seconds: 5 },
        envs: [{ key: "WHO", value: name, scope: "RUN_TIME" }],
        ...(sleep === undefined
          ? {}
          : {
              inactivity_sleep: {
                after_seconds: sleep.afterSeconds,
                loading_page: { enabled: sleep.loadingPage },
              },
            }),
      },
    ],
  };
}
