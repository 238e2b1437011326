/**
 * Bearer-token authentication and team roles. Tokens are `Token` resources in the
 * `slipway-system` namespace, named by token id, holding only the SHA-256 of the secret. Teams
 * are `Team` resources there too, with their members and roles. A token acts as its user in its
 * team with the lesser of the token's role and the user's membership role.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { API_VERSION, isErrorCode, type Resource, SlipwayError } from "../resources/index.js";
import type { Store } from "../store/index.js";
import type { Role } from "./schemas.js";

/** The namespace of tokens, teams and audit entries. */
export const SYSTEM_NAMESPACE = "slipway-system";
/** The prefix of every token secret. */
export const TOKEN_PREFIX = "slw_";

/** What a Token resource stores: never the secret, only its hash. */
export interface TokenSpec {
  user: string;
  team: string;
  role: Role;
  /** The admin token may create teams and read every team's audit log. */
  admin: boolean;
  /** SHA-256 of the whole secret, hex. */
  secretHash: string;
  description?: string;
  createdAt: string;
}
/** A Token resource. */
export type TokenResource = Resource<"Token", TokenSpec>;

/** A team's members. */
export interface TeamSpec {
  members: { user: string; role: Role }[];
  createdAt: string;
}
/** A Team resource; its name is the namespace of its apps. */
export type TeamResource = Resource<"Team", TeamSpec>;

/** Who is calling. */
export interface Principal {
  tokenId: string;
  user: string;
  team: string;
  role: Role;
  admin: boolean;
}

const RANK: Record<Role, number> = { viewer: 0, member: 1, owner: 2 };

/** True when `role` is at least `least`. */
export function hasRole(role: Role, least: Role): boolean {
  return RANK[role] >= RANK[least];
}

/** The lesser of two roles. */
export function minRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

/** The SHA-256 of a secret, hex. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** A new secret for token `id`: `slw_<id>.<43 random base64url characters>`. */
export function newSecret(id: string): string {
  return `${TOKEN_PREFIX}${id}.${randomBytes(32).toString("base64url")}`;
}

function unauthenticated(message: string): SlipwayError {
  return new SlipwayError("unauthenticated", message);
}

/**
 * Resolves an `Authorization` header to a principal; `unauthenticated` when it is missing,
 * malformed, unknown, does not match, or its user is no longer a member of its team.
 */
export async function authenticate(store: Store, header: string | undefined): Promise<Principal> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (match === null) throw unauthenticated("missing bearer token; send Authorization: Bearer <token>");
  const secret = match[1] as string;
  const dot = secret.lastIndexOf(".");
  if (!secret.startsWith(TOKEN_PREFIX) || dot <= TOKEN_PREFIX.length) throw unauthenticated("invalid token");
  const id = secret.slice(TOKEN_PREFIX.length, dot);
  let token: TokenResource;
  try {
    token = await store.get<TokenResource>("Token", { namespace: SYSTEM_NAMESPACE, name: id });
  } catch (err) {
    if (isErrorCode(err, "not_found") || isErrorCode(err, "invalid_argument"))
      throw unauthenticated("invalid token");
    throw err;
  }
  const expected = Buffer.from(token.spec.secretHash, "hex");
  const actual = Buffer.from(hashSecret(secret), "hex");
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw unauthenticated("invalid token");
  }
  const membership = await memberRole(store, token.spec.team, token.spec.user);
  if (membership === undefined) throw unauthenticated("the token's user is no longer a member of its team");
  return {
    tokenId: id,
    user: token.spec.user,
    team: token.spec.team,
    role: minRole(token.spec.role, membership),
    admin: token.spec.admin,
  };
}

/** The user's role in a team, or undefined when the team or membership does not exist. */
export async function memberRole(store: Store, team: string, user: string): Promise<Role | undefined> {
  try {
    const t = await store.get<TeamResource>("Team", { namespace: SYSTEM_NAMESPACE, name: team });
    return t.spec.members.find((m) => m.user === user)?.role;
  } catch (err) {
    if (isErrorCode(err, "not_found")) return undefined;
    throw err;
  }
}

/** Options of `issueToken`. */
export interface IssueTokenOptions {
  id: string;
  user: string;
  team: string;
  role: Role;
  admin?: boolean;
  description?: string;
  now: Date;
  labels?: Record<string, string>;
}

/** Stores a new token and returns it with its secret (the only time the secret exists). */
export async function issueToken(
  store: Store,
  options: IssueTokenOptions,
): Promise<{ token: TokenResource; secret: string }> {
  const secret = newSecret(options.id);
  const token = await store.create<TokenResource>({
    apiVersion: API_VERSION,
    kind: "Token",
    metadata: {
      name: options.id,
      namespace: SYSTEM_NAMESPACE,
      ...(options.labels === undefined ? {} : { labels: options.labels }),
    },
    spec: {
      user: options.user,
      team: options.team,
      role: options.role,
      admin: options.admin ?? false,
      secretHash: hashSecret(secret),
      ...(options.description === undefined ? {} : { description: options.description }),
      createdAt: options.now.toISOString(),
    },
  });
  return { token, secret };
}
