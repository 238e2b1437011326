/**
 * Handlers of tokens, teams, the audit log, the node status and the OpenAPI document.
 */
import { API_VERSION, isErrorCode, SlipwayError } from "../resources/index.js";
import { listAudit } from "./audit.js";
import { hasRole, issueToken, SYSTEM_NAMESPACE, type TeamResource } from "./auth.js";
import type { Handler } from "./call.js";
import type { Routes } from "./routes.js";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Team names that would collide with system namespaces. */
const RESERVED_TEAMS = new Set([
  SYSTEM_NAMESPACE,
  "default-system",
  "kube-system",
  "kube-public",
  "kube-node-lease",
]);

const createToken: Handler<Routes["createToken"]> = async ({ deps, principal, body, setTarget }) => {
  const team = body.team ?? principal.team;
  const teamNotFound = new SlipwayError("not_found", `team ${JSON.stringify(team)} not found`, {
    details: [{ path: "team", message: "not found" }],
  });
  // Another team's existence is not revealed to its non-members.
  if (team !== principal.team && !principal.admin) throw teamNotFound;
  let teamObject: TeamResource;
  try {
    teamObject = await deps.store.get<TeamResource>("Team", { namespace: SYSTEM_NAMESPACE, name: team });
  } catch (err) {
    if (isErrorCode(err, "not_found") || isErrorCode(err, "invalid_argument")) throw teamNotFound;
    throw err;
  }
  const id = deps.randomId();
  setTarget(`team/${team}/token/${id}`);
  const members = teamObject.spec.members;
  const member = members.find((m) => m.user === body.user);
  if (member === undefined || !hasRole(member.role, body.role)) {
    // Membership first: a member without a token can do nothing, a token without a membership is refused.
    const others = members.filter((m) => m.user !== body.user);
    await deps.store.update<TeamResource>({
      ...teamObject,
      spec: { ...teamObject.spec, members: [...others, { user: body.user, role: body.role }] },
    });
  }
  const now = deps.now();
  const { secret } = await issueToken(deps.store, {
    id,
    user: body.user,
    team,
    role: body.role,
    ...(body.description === undefined ? {} : { description: body.description }),
    now,
  });
  return {
    token: {
      id,
      team,
      role: body.role,
      user: body.user,
      ...(body.description === undefined ? {} : { description: body.description }),
      created_at: now.toISOString(),
    },
    secret,
  };
};

const createTeam: Handler<Routes["createTeam"]> = async ({ deps, principal, body, setTarget }) => {
  const { name } = body;
  setTarget(`team/${name}`);
  if (!DNS1123_LABEL.test(name) || RESERVED_TEAMS.has(name)) {
    const message = RESERVED_TEAMS.has(name)
      ? `"${name}" is reserved`
      : "must be lowercase letters, digits or '-', starting and ending with a letter or digit";
    throw new SlipwayError("invalid_argument", `name: ${message}`, { details: [{ path: "name", message }] });
  }
  const createdAt = deps.now().toISOString();
  const members = [{ user: principal.user, role: "owner" as const }];
  try {
    await deps.store.create<TeamResource>({
      apiVersion: API_VERSION,
      kind: "Team",
      metadata: { name, namespace: SYSTEM_NAMESPACE },
      spec: { members, createdAt },
    });
  } catch (err) {
    if (isErrorCode(err, "already_exists"))
      throw new SlipwayError("already_exists", `team "${name}" already exists`);
    throw err;
  }
  return { team: { name, members, created_at: createdAt } };
};

const listAuditHandler: Handler<Routes["listAudit"]> = async ({ deps, principal }) => ({
  entries: await listAudit(deps.store, principal.admin ? undefined : principal.team),
});

const getCa: Handler<Routes["getCa"]> = async ({ deps }) => {
  if (deps.caPem === undefined) throw new SlipwayError("not_found", "this server has no local CA");
  return { certificate_pem: await deps.caPem() };
};

const getNode: Handler<Routes["getNode"]> = async ({ deps }) => {
  if (deps.node === undefined)
    throw new SlipwayError("unavailable", "this API runs without a node (started without a runtime)");
  return deps.node();
};

/** The token, team and audit handlers; `openapi` is the document `getOpenApi` serves. */
export function systemHandlers(openapi: Record<string, unknown>) {
  const getOpenApi: Handler<Routes["getOpenApi"]> = async () => openapi;
  return { createToken, createTeam, listAudit: listAuditHandler, getOpenApi, getCa, getNode };
}
