/**
 * The app spec as one JSON Schema, built with TypeBox so that the TypeScript types are derived
 * from the very schema that validates input. The tree is the union of godo's and DigitalOcean's
 * OpenAPI fields (reference section 1, section 6), so a real `.do/app.yaml` is accepted as it is.
 *
 * Keywords beyond JSON Schema: `patternErrorMessage` and `errorMessage`, which editors such as
 * VS Code show, and which the validator uses for its own messages.
 */
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { INSTANCE_SIZE_SLUGS } from "./instance-sizes.js";

function stringEnum<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({
    type: "string",
    enum: [...values],
    ...(description === undefined ? {} : { description }),
  });
}

function strict<T extends Record<string, TSchema>>(
  properties: T,
  description?: string,
  definitions?: Record<string, TSchema>,
) {
  return Type.Object(properties, {
    additionalProperties: false,
    ...(description === undefined ? {} : { description }),
    ...(definitions === undefined ? {} : { definitions }),
  });
}

const opt = Type.Optional;

/**
 * A reference to a shared definition: sub-schemas used by several component kinds are written
 * once under `definitions`, so Ajv compiles each once (a fraction of the code and memory of
 * inlining them everywhere) and editors see one definition.
 */
function ref<T extends TSchema>(name: string, _definition: T) {
  return Type.Unsafe<Static<T>>({ $ref: `#/definitions/${name}` });
}

/** The name rule shared by apps, components and databases. */
export const NAME_PATTERN = "^[a-z][a-z0-9-]{0,30}[a-z0-9]$";
const NAME_MESSAGE =
  "must be 2 to 32 lowercase letters, digits or dashes, start with a letter and not end with a dash";
const Name = Type.String({
  minLength: 2,
  maxLength: 32,
  pattern: NAME_PATTERN,
  patternErrorMessage: NAME_MESSAGE,
});

/** Go duration strings such as `30m`, `1h30m`, `90s`. */
export const DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$";
const Duration = Type.String({
  pattern: DURATION_PATTERN,
  patternErrorMessage: "must be a duration such as 30s, 5m or 1h30m",
});

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const StringMatch256 = Type.String({ maxLength: 256 });

// ---- sources (reference 1.3)
const GitSource = strict({
  repo_clone_url: opt(Type.String({ maxLength: 255 })),
  branch: opt(Type.String()),
});
const HostedGitSource = (repoPattern: string) =>
  strict({
    repo: opt(
      Type.String({
        pattern: repoPattern,
        patternErrorMessage: 'must be "owner/repository"',
      }),
    ),
    branch: opt(Type.String()),
    deploy_on_push: opt(Type.Boolean()),
  });
const GitHubSource = HostedGitSource("^[^/]+/[^/]+$");
const GitLabSource = HostedGitSource("^[^/]+/([^/]+/)?[^/]+$");
const BitbucketSource = HostedGitSource("^[^/]+/[^/]+$");

/** Registry types of image sources. */
export const REGISTRY_TYPES = ["DOCR", "DOCKER_HUB", "GHCR", "UNSPECIFIED"] as const;
const ImageSource = strict({
  registry_type: opt(stringEnum(REGISTRY_TYPES)),
  registry: opt(Type.String()),
  repository: Type.String({ minLength: 1 }),
  tag: opt(Type.String({ minLength: 1, maxLength: 128 })),
  digest: opt(
    Type.String({
      pattern: "^sha256:[a-f0-9]{64}$",
      patternErrorMessage: "must be sha256: followed by 64 lowercase hex digits",
    }),
  ),
  registry_credentials: opt(Type.String()),
  deploy_on_push: opt(strict({ enabled: opt(Type.Boolean()) })),
});

// ---- envs (reference 1.11)
/** Env scopes; RUN_AND_BUILD_TIME is the default. */
export const ENV_SCOPES = ["UNSET", "RUN_TIME", "BUILD_TIME", "RUN_AND_BUILD_TIME"] as const;
/** Env types; GENERAL is the default. */
export const ENV_TYPES = ["GENERAL", "SECRET"] as const;
const EnvVar = strict({
  key: Type.String({
    pattern: "^[_A-Za-z][_A-Za-z0-9]*$",
    patternErrorMessage:
      "must start with a letter or underscore and hold only letters, digits and underscores",
  }),
  value: opt(Type.String()),
  scope: opt(stringEnum(ENV_SCOPES)),
  type: opt(stringEnum(ENV_TYPES)),
});

// ---- alerts and log destinations (reference 1.14, 1.15)
/** Every alert rule of godo and the OpenAPI description. */
export const ALERT_RULES = [
  "UNSPECIFIED_RULE",
  "CPU_UTILIZATION",
  "MEM_UTILIZATION",
  "RESTART_COUNT",
  "DEPLOYMENT_FAILED",
  "DEPLOYMENT_LIVE",
  "DEPLOYMENT_STARTED",
  "DEPLOYMENT_CANCELED",
  "DOMAIN_FAILED",
  "DOMAIN_LIVE",
  "AUTOSCALE_FAILED",
  "AUTOSCALE_SUCCEEDED",
  "REQUESTS_PER_SECOND",
  "REQUEST_DURATION_P95_MS",
  "JOB_INVOCATION_FAILED",
  "FUNCTIONS_ACTIVATION_COUNT",
  "FUNCTIONS_AVERAGE_DURATION_MS",
  "FUNCTIONS_ERROR_RATE_PER_MINUTE",
  "FUNCTIONS_AVERAGE_WAIT_TIME_MS",
  "FUNCTIONS_ERROR_COUNT",
  "FUNCTIONS_GB_RATE_PER_SECOND",
] as const;
const Alert = strict({
  rule: stringEnum(ALERT_RULES),
  disabled: opt(Type.Boolean()),
  operator: opt(stringEnum(["UNSPECIFIED_OPERATOR", "GREATER_THAN", "LESS_THAN"])),
  value: opt(Type.Number()),
  window: opt(
    stringEnum(["UNSPECIFIED_WINDOW", "FIVE_MINUTES", "TEN_MINUTES", "THIRTY_MINUTES", "ONE_HOUR"]),
  ),
});

const LogDestination = strict({
  name: Type.String({
    minLength: 2,
    maxLength: 42,
    pattern: "^[A-Za-z0-9()\\[\\]'\"][-A-Za-z0-9_. \\/()\\[\\]]{0,40}[A-Za-z0-9()\\[\\]'\"]$",
    patternErrorMessage: "must be 2 to 42 letters, digits, spaces or -_./()[] characters",
  }),
  papertrail: opt(strict({ endpoint: Type.String({ minLength: 1 }) })),
  datadog: opt(strict({ endpoint: opt(Type.String()), api_key: Type.String({ minLength: 1 }) })),
  logtail: opt(strict({ token: opt(Type.String()) })),
  open_search: opt(
    strict({
      endpoint: opt(Type.String({ pattern: "^https://", patternErrorMessage: "must be an https:// URL" })),
      basic_auth: opt(strict({ user: opt(Type.String()), password: opt(Type.String()) })),
      index_name: opt(Type.String()),
      cluster_name: opt(Type.String()),
    }),
  ),
  endpoint: opt(Type.String()),
  tls_insecure: opt(Type.Boolean()),
  headers: opt(Type.Array(strict({ key: Type.String(), value: opt(Type.String()) }))),
});

// ---- health, autoscaling, termination (reference 1.4, 1.5)
const healthCheckFields = {
  failure_threshold: opt(Type.Integer({ minimum: 1, maximum: 50 })),
  port: opt(Port),
  http_path: opt(Type.String({ pattern: "^/", patternErrorMessage: 'must start with "/"' })),
  initial_delay_seconds: opt(Type.Integer({ minimum: 0, maximum: 3600 })),
  period_seconds: opt(Type.Integer({ minimum: 1, maximum: 300 })),
  timeout_seconds: opt(Type.Integer({ minimum: 1, maximum: 120 })),
};
const HealthCheck = strict({
  ...healthCheckFields,
  success_threshold: opt(Type.Integer({ minimum: 1, maximum: 50 })),
  path: opt(Type.String({ pattern: "^/", patternErrorMessage: 'must start with "/"' })),
});
const LivenessHealthCheck = strict({
  ...healthCheckFields,
  success_threshold: opt(Type.Integer({ minimum: 1, maximum: 1 })),
});

const cpuMetric = strict({ percent: opt(Type.Integer({ minimum: 1, maximum: 100 })) });
const autoscalingCounts = {
  min_instance_count: opt(Type.Integer({ minimum: 1, maximum: 250 })),
  max_instance_count: opt(Type.Integer({ minimum: 1, maximum: 250 })),
};
const ServiceAutoscaling = strict({
  ...autoscalingCounts,
  metrics: opt(
    strict({
      cpu: opt(cpuMetric),
      requests_per_second: opt(strict({ per_instance: opt(Type.Integer({ minimum: 1 })) })),
      request_duration: opt(strict({ p95_milliseconds: opt(Type.Integer({ minimum: 1 })) })),
    }),
  ),
});
const WorkerAutoscaling = strict({ ...autoscalingCounts, metrics: opt(strict({ cpu: opt(cpuMetric) })) });

const grace_period_seconds = opt(Type.Integer({ minimum: 1, maximum: 600 }));
const ServiceTermination = strict({
  drain_seconds: opt(Type.Integer({ minimum: 1, maximum: 110 })),
  grace_period_seconds,
});
const Termination = strict({ grace_period_seconds });

// ---- routes and CORS (reference 1.4, 1.13)
const PreservePathPrefix = Type.Union([Type.Boolean(), stringEnum(["true", "false"])], {
  errorMessage: 'must be true or false (or the strings "true" and "false")',
});
const Route = strict({
  path: opt(Type.String({ pattern: "^/", patternErrorMessage: 'must start with "/"', maxLength: 256 })),
  preserve_path_prefix: opt(PreservePathPrefix),
});
const CorsStringMatch = strict({
  exact: opt(StringMatch256),
  prefix: opt(StringMatch256),
  regex: opt(Type.String({ minLength: 1, maxLength: 256 })),
});
const Cors = strict({
  allow_origins: opt(Type.Array(CorsStringMatch)),
  allow_methods: opt(Type.Array(Type.String())),
  allow_headers: opt(Type.Array(Type.String())),
  expose_headers: opt(Type.Array(Type.String())),
  max_age: opt(Duration),
  allow_credentials: opt(Type.Boolean()),
});

// DigitalOcean's least is 600; the rule in inactivity-sleep.ts applies it (or a test server's lower one).
const InactivitySleep = strict({
  after_seconds: opt(Type.Integer({ minimum: 1, maximum: 86400 })),
  loading_page: opt(strict({ enabled: opt(Type.Boolean()), custom_url: opt(Type.String()) })),
});

// ---- shared definitions, referenced from every component kind
const GitSourceRef = ref("GitSource", GitSource);
const GitHubSourceRef = ref("GitHubSource", GitHubSource);
const GitLabSourceRef = ref("GitLabSource", GitLabSource);
const BitbucketSourceRef = ref("BitbucketSource", BitbucketSource);
const ImageSourceRef = ref("ImageSource", ImageSource);
const EnvVarRef = ref("EnvVar", EnvVar);
const AlertRef = ref("Alert", Alert);
const LogDestinationRef = ref("LogDestination", LogDestination);
const LivenessHealthCheckRef = ref("LivenessHealthCheck", LivenessHealthCheck);
const TerminationRef = ref("Termination", Termination);
const RouteRef = ref("Route", Route);
const CorsRef = ref("Cors", Cors);

// ---- components (reference 1.2, 1.4, 1.6–1.10)
const base = {
  name: Name,
  git: opt(GitSourceRef),
  github: opt(GitHubSourceRef),
  gitlab: opt(GitLabSourceRef),
  bitbucket: opt(BitbucketSourceRef),
  dockerfile_path: opt(Type.String()),
  build_command: opt(Type.String()),
  source_dir: opt(Type.String()),
  environment_slug: opt(Type.String()),
  envs: opt(Type.Array(EnvVarRef)),
};
const compute = {
  image: opt(ImageSourceRef),
  run_command: opt(Type.String()),
  instance_size_slug: opt(stringEnum(INSTANCE_SIZE_SLUGS)),
  instance_count: opt(Type.Integer({ minimum: 1, maximum: 250 })),
  log_destinations: opt(Type.Array(LogDestinationRef)),
  alerts: opt(Type.Array(AlertRef)),
};

/**
 * http:// is accepted only for a loopback issuer (a development identity provider). Quotes,
 * `#`, backslashes and `|` are refused: the router writes issuers into HAProxy ACL patterns.
 */
const ISSUER_URL_PATTERN =
  "^(https://[^\\s\"'#\\\\|]+|http://(localhost|127\\.0\\.0\\.1|\\[::1\\])(:[0-9]+)?(/[^\\s\"'#\\\\|]*)?)$";
const IssuerUrl = Type.String({
  pattern: ISSUER_URL_PATTERN,
  patternErrorMessage: "must be an https:// URL (http:// only for localhost, 127.0.0.1 or [::1])",
});
/** Audiences and scopes are compared as literal words by the router. */
const JwtWord = Type.String({
  minLength: 1,
  pattern: "^[!$-&(-\\[\\]-~]+$",
  patternErrorMessage: "must be printable ASCII without spaces, quotes, # or backslashes",
});

/** Slipway extension: the router verifies a bearer JWT before a request reaches the service. */
const SlipwayAuth = strict(
  {
    issuer: IssuerUrl,
    jwks_uri: opt(IssuerUrl),
    audiences: Type.Array(JwtWord, { minItems: 1 }),
    scopes: opt(Type.Array(JwtWord)),
  },
  "Slipway extension (not in DigitalOcean's spec): requests to this service need a JWT from `issuer` (signature checked with its JWKS, found through /.well-known/openid-configuration unless jwks_uri is set), an `aud` among `audiences`, an unexpired `exp`, and every one of `scopes` in its space-separated `scope` claim. No or bad token: 401; missing scope: 403.",
);

const Service = strict({
  ...base,
  ...compute,
  http_port: opt(Port),
  protocol: opt(stringEnum(["HTTP", "HTTP2"])),
  internal_ports: opt(Type.Array(Port)),
  health_check: opt(HealthCheck),
  liveness_health_check: opt(LivenessHealthCheckRef),
  autoscaling: opt(ServiceAutoscaling),
  termination: opt(ServiceTermination),
  routes: opt(Type.Array(RouteRef)),
  cors: opt(CorsRef),
  inactivity_sleep: opt(InactivitySleep),
  slipway_auth: opt(SlipwayAuth),
});

const StaticSite = strict({
  ...base,
  output_dir: opt(Type.String()),
  index_document: opt(Type.String({ minLength: 1 })),
  error_document: opt(Type.String({ minLength: 1 })),
  catchall_document: opt(Type.String({ minLength: 1 })),
  routes: opt(Type.Array(RouteRef)),
  cors: opt(CorsRef),
});

const Worker = strict({
  ...base,
  ...compute,
  autoscaling: opt(WorkerAutoscaling),
  termination: opt(TerminationRef),
  liveness_health_check: opt(LivenessHealthCheckRef),
});

/** Job kinds; UNSPECIFIED completes to POST_DEPLOY. */
export const JOB_KINDS = ["UNSPECIFIED", "PRE_DEPLOY", "POST_DEPLOY", "FAILED_DEPLOY", "SCHEDULED"] as const;
const Job = strict({
  ...base,
  ...compute,
  kind: opt(stringEnum(JOB_KINDS)),
  schedule: opt(strict({ cron: opt(Type.String({ minLength: 1 })), time_zone: opt(Type.String()) })),
  timeout: opt(Duration),
  termination: opt(TerminationRef),
});

const FunctionComponent = strict({
  name: Name,
  git: opt(GitSourceRef),
  github: opt(GitHubSourceRef),
  gitlab: opt(GitLabSourceRef),
  bitbucket: opt(BitbucketSourceRef),
  source_dir: opt(Type.String()),
  envs: opt(Type.Array(EnvVarRef)),
  alerts: opt(Type.Array(AlertRef)),
  log_destinations: opt(Type.Array(LogDestinationRef)),
  routes: opt(Type.Array(RouteRef)),
  cors: opt(CorsRef),
});

/** Database engines. */
export const DATABASE_ENGINES = [
  "UNSET",
  "MYSQL",
  "PG",
  "REDIS",
  "MONGODB",
  "KAFKA",
  "OPENSEARCH",
  "VALKEY",
] as const;
const Database = strict({
  name: Name,
  engine: opt(stringEnum(DATABASE_ENGINES)),
  version: opt(Type.String()),
  production: opt(Type.Boolean()),
  cluster_name: opt(Type.String()),
  db_name: opt(Type.String()),
  db_user: opt(Type.String()),
  size: opt(Type.String()),
  num_nodes: opt(Type.Integer({ minimum: 1 })),
});

// ---- domains and ingress (reference 1.12, 1.13)
const Domain = strict({
  domain: Type.String({
    minLength: 4,
    maxLength: 253,
    pattern: "^((xn--)?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*\\.)+[a-zA-Z]{2,}\\.?$",
    patternErrorMessage: "must be a domain name such as app.example.com",
  }),
  type: opt(stringEnum(["UNSPECIFIED", "DEFAULT", "PRIMARY", "ALIAS"])),
  wildcard: opt(Type.Boolean()),
  zone: opt(Type.String()),
  minimum_tls_version: opt(stringEnum(["1.2", "1.3"], 'a quoted string, "1.2" or "1.3"')),
  certificate: opt(Type.String()),
});

const IngressRule = strict({
  match: opt(
    strict({
      path: opt(
        strict({
          prefix: opt(Type.String({ maxLength: 256 })),
          exact: opt(Type.String({ maxLength: 256 })),
        }),
      ),
      authority: opt(strict({ exact: opt(StringMatch256) })),
    }),
  ),
  component: opt(
    strict({
      name: Type.String({ minLength: 1 }),
      preserve_path_prefix: opt(PreservePathPrefix),
      rewrite: opt(Type.String({ pattern: "^/", patternErrorMessage: 'must start with "/"' })),
    }),
  ),
  redirect: opt(
    strict({
      uri: opt(Type.String()),
      authority: opt(Type.String()),
      port: opt(Port),
      scheme: opt(stringEnum(["http", "https"])),
      redirect_code: opt(
        Type.Unsafe<300 | 301 | 302 | 303 | 304 | 307 | 308>({
          type: "integer",
          enum: [300, 301, 302, 303, 304, 307, 308],
        }),
      ),
    }),
  ),
  cors: opt(CorsRef),
});

const Ingress = strict({
  rules: opt(Type.Array(IngressRule)),
  custom_error_page_url: opt(
    Type.String({ pattern: "^https://", patternErrorMessage: "must be an https:// URL" }),
  ),
  load_balancer: opt(stringEnum(["UNKNOWN", "DIGITALOCEAN"])),
  load_balancer_size: opt(Type.Integer({ minimum: 0 })),
  secure_header: opt(
    strict({ key: opt(Type.String()), value: opt(Type.String()), remove_header: opt(Type.Boolean()) }),
  ),
});

/** DigitalOcean regions. */
export const REGIONS = ["atl", "nyc", "sfo", "tor", "ams", "fra", "lon", "blr", "sgp", "syd"] as const;

/** The JSON Schema of an app spec (reference 1.1). */
export const AppSpecSchema = strict(
  {
    name: Name,
    region: opt(stringEnum(REGIONS)),
    services: opt(Type.Array(Service)),
    static_sites: opt(Type.Array(StaticSite)),
    workers: opt(Type.Array(Worker)),
    jobs: opt(Type.Array(Job)),
    functions: opt(Type.Array(FunctionComponent)),
    databases: opt(Type.Array(Database)),
    domains: opt(Type.Array(Domain)),
    envs: opt(Type.Array(EnvVarRef)),
    alerts: opt(Type.Array(AlertRef)),
    ingress: opt(Ingress),
    egress: opt(strict({ type: opt(stringEnum(["AUTOASSIGN", "DEDICATED_IP"])) })),
    features: opt(Type.Array(Type.String())),
    maintenance: opt(
      strict({
        enabled: opt(Type.Boolean()),
        archive: opt(Type.Boolean()),
        offline_page_url: opt(Type.String()),
      }),
    ),
    vpc: opt(strict({ id: opt(Type.String()) })),
    disable_edge_cache: opt(Type.Boolean()),
    disable_email_obfuscation: opt(Type.Boolean()),
    enhanced_threat_control_enabled: opt(Type.Boolean()),
  },
  "A DigitalOcean App Platform compatible app spec, as accepted by Slipway.",
  {
    GitSource,
    GitHubSource,
    GitLabSource,
    BitbucketSource,
    ImageSource,
    EnvVar,
    Alert,
    LogDestination,
    LivenessHealthCheck,
    Termination,
    Route,
    Cors,
  },
);

/** An app spec. */
export type AppSpec = Static<typeof AppSpecSchema>;
/** A service component. */
export type ServiceSpec = Static<typeof Service>;
/** A static site component. */
export type StaticSiteSpec = Static<typeof StaticSite>;
/** A worker component. */
export type WorkerSpec = Static<typeof Worker>;
/** A job component. */
export type JobSpec = Static<typeof Job>;
/** A functions component. */
export type FunctionSpec = Static<typeof FunctionComponent>;
/** A database. */
export type DatabaseSpec = Static<typeof Database>;
/** An environment variable definition. */
export type EnvVarSpec = Static<typeof EnvVar>;
/** A readiness health check. */
export type HealthCheckSpec = Static<typeof HealthCheck>;
/** A liveness health check. */
export type LivenessHealthCheckSpec = Static<typeof LivenessHealthCheck>;
/** One ingress rule. */
export type IngressRuleSpec = Static<typeof IngressRule>;
/** A CORS policy. */
export type CorsSpec = Static<typeof Cors>;
/** A deprecated route. */
export type RouteSpec = Static<typeof Route>;

/** The list keys of the app spec that hold components, in the order DO lists them. */
export const COMPONENT_LISTS = ["services", "static_sites", "workers", "jobs", "functions"] as const;
/** A key of `COMPONENT_LISTS`. */
export type ComponentList = (typeof COMPONENT_LISTS)[number];

/** The JSON Schema document written to `schema/app-spec.schema.json` for editors. */
export function appSpecJsonSchema(): Record<string, unknown> {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://slipway.dev/schema/app-spec.schema.json",
    title: "Slipway app spec",
    ...(JSON.parse(JSON.stringify(AppSpecSchema)) as Record<string, unknown>),
  };
}
