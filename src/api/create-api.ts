/**
 * Builds the HTTP API (a Hono app) from the route table: authentication, authorization, request
 * validation, the handlers, one error handler, and the audit log of every mutating call.
 */
import { type Context, Hono } from "hono";
import { SlipwayError } from "../resources/index.js";
import { appHandlers } from "./app-handlers.js";
import { appendAudit, MUTATING_METHODS } from "./audit.js";
import { authenticate, hasRole, type Principal } from "./auth.js";
import { type ApiDeps, type Call, type Handler, requireValid } from "./call.js";
import { deploymentHandlers } from "./deployment-handlers.js";
import { errorResponse } from "./error-response.js";
import { instanceHandlers } from "./instance-handlers.js";
import { jobHandlers } from "./job-handlers.js";
import { logHandlers } from "./log-handlers.js";
import { buildOpenApi } from "./openapi.js";
import { parseJson, readBody } from "./read-body.js";
import { createRequestValidator, type PartChecker } from "./request-validator.js";
import { type Access, honoPath, type RouteDef, type RouteName, type Routes, routes } from "./routes.js";
import { sourceHandlers } from "./source-handlers.js";
import { systemHandlers } from "./system-handlers.js";

/** Per-request values shared by the middleware and the route handlers. */
type Env = { Variables: { principal: Principal; action: string; target: string } };

const YAML_TYPES = new Set(["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]);

function authorize(access: Access, principal: Principal | undefined): void {
  if (access === "public" || access === "read" || principal === undefined) return;
  const allowed =
    access === "admin"
      ? principal.admin
      : hasRole(principal.role, access === "write" ? "member" : "owner") || principal.admin;
  if (!allowed) {
    const need = access === "write" ? "member or owner" : access;
    throw new SlipwayError(
      "permission_denied",
      `this needs the ${need} role; the token has role ${principal.role} in team ${principal.team}`,
    );
  }
}

/** Reads, parses and checks the body of a route; YAML spec bodies are validated here with positions. */
async function readInput(
  c: Context<Env>,
  name: string,
  route: RouteDef,
  check: PartChecker,
): Promise<{ body: unknown; raw?: Uint8Array; yaml?: Uint8Array }> {
  const type = (c.req.header("content-type") ?? "application/json").split(";")[0]?.trim().toLowerCase() ?? "";
  if (route.rawBody !== undefined) {
    if (!route.rawBody.types.includes(type))
      throw new SlipwayError(
        "invalid_argument",
        `Content-Type ${type} is not accepted; send ${route.rawBody.types.join(" or ")}`,
      );
    return { body: undefined, raw: await readBody(c.req.raw, route.rawBody.maxBytes) };
  }
  if (route.body === undefined) return { body: undefined };
  const bytes = await readBody(c.req.raw);
  // A YAML body is the spec itself; it is validated when the handler asks (validSpec), with its options.
  if (route.yamlSpecBody === true && YAML_TYPES.has(type)) return { body: {}, yaml: bytes };
  if (type !== "application/json" && !(type.startsWith("application/") && type.endsWith("+json"))) {
    const accepted =
      route.yamlSpecBody === true ? "application/json or application/yaml" : "application/json";
    throw new SlipwayError("invalid_argument", `Content-Type ${type} is not accepted; send ${accepted}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SlipwayError("invalid_argument", "request body is not valid UTF-8");
  }
  const body = text.trim() === "" ? {} : parseJson(text);
  check(name, "body", body);
  return { body };
}

/** A handler of any route, for the dispatch loop (each handler is typed against its own route). */
type AnyHandler = (call: Call<RouteDef>) => Promise<unknown>;

/**
 * Creates the API. No global state: every dependency comes in `deps`, so tests run it in-process
 * with `app.request()` or over HTTP with `startApiServer`.
 */
export function createApi(deps: ApiDeps): Hono<Env> {
  const check = createRequestValidator(routes);
  const handlers: { [K in RouteName]: Handler<Routes[K]> } = {
    ...appHandlers,
    ...deploymentHandlers,
    ...jobHandlers,
    ...logHandlers,
    ...instanceHandlers,
    ...sourceHandlers,
    ...systemHandlers(buildOpenApi(routes)),
  };
  const app = new Hono<Env>();
  app.onError((err) => errorResponse(err));
  app.notFound((c) => errorResponse(new SlipwayError("not_found", `no route ${c.req.method} ${c.req.path}`)));
  app.use("*", async (c, next) => {
    if (!MUTATING_METHODS.has(c.req.method)) return next();
    await next();
    const principal = c.get("principal") as Principal | undefined;
    try {
      await appendAudit(deps.store, {
        id: deps.randomId(),
        time: deps.now().toISOString(),
        actor: principal?.user ?? "anonymous",
        team: principal?.team ?? "",
        method: c.req.method,
        path: c.req.path,
        action: (c.get("action") as string | undefined) ?? "unknown",
        target: (c.get("target") as string | undefined) ?? "",
        result: c.res.status,
      });
    } catch (err) {
      c.res = errorResponse(err);
    }
  });
  for (const [name, route] of Object.entries(routes) as [RouteName, RouteDef][]) {
    const handler = handlers[name] as unknown as AnyHandler;
    app.on(route.method, honoPath(route.path), async (c) => {
      c.set("action", name);
      const principal =
        route.access === "public" ? undefined : await authenticate(deps.store, c.req.header("authorization"));
      if (principal !== undefined) c.set("principal", principal);
      authorize(route.access, principal);
      const params = c.req.param() as Record<string, string>;
      check(name, "params", params);
      const query = c.req.query();
      check(name, "query", query);
      const input = await readInput(c, name, route, check);
      const call: Call<RouteDef> = {
        deps,
        principal: principal as Principal,
        params,
        query,
        body: input.body as undefined,
        ...(input.raw === undefined ? {} : { rawBody: input.raw }),
        signal: c.req.raw.signal,
        validSpec: (options) =>
          input.yaml !== undefined
            ? requireValid(deps.validator.validateText(input.yaml, options))
            : requireValid(
                deps.validator.validate((input.body as { spec?: unknown } | undefined)?.spec, options),
              ),
        setTarget: (target) => c.set("target", target),
      };
      const result = await handler(call);
      if (result instanceof Response) return result;
      return c.json(result as object, route.status);
    });
  }
  return app;
}
