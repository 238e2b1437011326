/**
 * Generates the OpenAPI 3.1 document from the route table: one operation per route, parameters
 * from the params and query schemas, request and response bodies from the body and response
 * schemas, the app spec JSON Schema as a shared component.
 */
import type { TObject, TSchema } from "@sinclair/typebox";
import { appSpecJsonSchema } from "../spec/index.js";
import type { RouteDef } from "./routes.js";
import { ErrorSchema, SCHEMA_REF_KEYWORD } from "./schemas.js";

type Json = Record<string, unknown>;

/** A plain JSON copy of a TypeBox schema (symbol keys dropped) with component markers made `$ref`s. */
function plain(schema: TSchema): Json {
  return JSON.parse(JSON.stringify(schema), (_key, value: unknown) => {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const ref = (value as Json)[SCHEMA_REF_KEYWORD];
      if (typeof ref === "string") return { $ref: `#/components/schemas/${ref}` };
    }
    return value;
  }) as Json;
}

function parameters(schema: TObject | undefined, where: "path" | "query"): Json[] {
  if (schema === undefined) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    schema: plain(property),
  }));
}

function operation(name: string, route: RouteDef): Json {
  const json = { schema: route.body === undefined ? {} : plain(route.body) };
  const errorContent = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
  const content: Json = { "application/json": json };
  if (route.yamlSpecBody === true) {
    content["application/yaml"] = { schema: { $ref: "#/components/schemas/AppSpec" } };
  }
  const responses: Json = {
    [String(route.status)]: {
      description: route.watchItem === undefined ? "Success" : "Success; with ?watch=true, NDJSON events",
      content: {
        [route.ndjson === true ? "application/x-ndjson" : "application/json"]: {
          schema: plain(route.response),
        },
        ...(route.watchItem === undefined
          ? {}
          : {
              "application/x-ndjson": {
                schema: {
                  type: "object",
                  required: ["type", "object"],
                  properties: {
                    type: { enum: ["ADDED", "MODIFIED", "DELETED"] },
                    object: plain(route.watchItem),
                  },
                },
              },
            }),
      },
    },
    default: { description: "An error; `id` is the error code", content: errorContent },
  };
  return {
    operationId: name,
    summary: route.summary,
    ...(route.access === "public" ? { security: [] } : {}),
    parameters: [...parameters(route.params, "path"), ...parameters(route.query, "query")],
    ...(route.body === undefined ? {} : { requestBody: { required: true, content } }),
    responses,
  };
}

/** The OpenAPI 3.1 document of `routes`. Pure; call once and serve the result. */
export function buildOpenApi(routes: Record<string, RouteDef>): Json {
  const paths: Record<string, Json> = {};
  for (const [name, route] of Object.entries(routes)) {
    const item = paths[route.path] ?? {};
    item[route.method.toLowerCase()] = operation(name, route);
    paths[route.path] = item;
  }
  const { $schema: _schema, $id: _id, ...appSpec } = appSpecJsonSchema();
  return {
    openapi: "3.1.0",
    info: {
      title: "Slipway API",
      version: "1",
      description: "A self-hostable PaaS whose API follows DigitalOcean's App Platform API.",
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { AppSpec: appSpec, Error: plain(ErrorSchema) },
    },
  };
}
