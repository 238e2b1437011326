/**
 * The types of router sync planning (ADR 0017): desired state, what HAProxy holds, commands.
 */
import type { HaproxyConfig, HaproxyConfigOptions } from "./haproxy-config.js";
import type { JwtKey } from "./jwt/jwt-config.js";
import type { BackendSpec, RouteTable } from "./route-table.js";
import type {
  StaticBackendOptions,
  StaticBackendSite,
  StaticCacheOptions,
} from "./static/render-static-backend.js";

/** One instance of a component. */
export interface Endpoint {
  /** Stable id (the instance's name); slots follow ids, not addresses. */
  id: string;
  address: string;
  port: number;
  /** 0-256. Default 1. */
  weight?: number;
  /** Finish requests in flight, take no new ones. */
  draining?: boolean;
}

/** The instances of one component. */
export interface BackendEndpoints {
  app: string;
  component: string;
  endpoints: readonly Endpoint[];
}

/** What the router should serve: the route table and every backend's instances. */
export interface DesiredRouterState {
  table: RouteTable;
  endpoints: readonly BackendEndpoints[];
  /**
   * Static-site components served by the shared static server (ADR 0014): their backends are
   * the static server's, not slots. Needs {@link PlanOptions.static}.
   */
  staticSites?: readonly StaticBackendSite[];
  /**
   * The issuers' keys for `slipway_auth` (files HAProxy loads), when they change at run time;
   * given, they replace `render.jwtKeys`. A changed set is a (seamless) reload: HAProxy 2.6 reads
   * key files only when it loads its configuration (ADR 0013).
   */
  jwtKeys?: readonly JwtKey[];
}

/** One occupied slot. A free slot is `undefined` (HAProxy has it in maintenance). */
export interface SlotState {
  endpoint: string;
  addr: string;
  port: number;
  weight: number;
  state: "ready" | "drain";
  /** For an endpoint no longer desired: when its slot is freed (epoch ms). */
  drainUntil?: number;
}

/** What the router has put in HAProxy (what the plan starts from). */
export interface RouterState {
  /** The loaded config rendered without slot contents: structural changes show up here. */
  structure: string;
  /** The real backends of the loaded config (kept after their app goes, until a reload). */
  specs: BackendSpec[];
  /** Slots of every loaded backend, spares included. */
  slotCounts: Record<string, number>;
  /** Backend (`<app>__<component>`) -> the HAProxy backend serving it (itself or a spare). */
  placement: Record<string, string>;
  /** HAProxy backend -> its slots (index 0 is `s1`). */
  slots: Record<string, (SlotState | undefined)[]>;
  /** Map file name -> the contents HAProxy holds. */
  maps: Record<string, string>;
}

/** One runtime API change. */
export type RouterCommand =
  | { kind: "set-addr"; backend: string; slot: number; addr: string; port: number }
  | { kind: "set-weight"; backend: string; slot: number; weight: number }
  | { kind: "set-state"; backend: string; slot: number; state: "ready" | "drain" | "maint" }
  | { kind: "replace-map"; map: string; text: string };

/** Options of {@link planRouterChanges}. */
export interface PlanOptions {
  /** Render options (port, sockets, map dir, TLS, JWT keys, fairness, slots, spares). */
  render: HaproxyConfigOptions;
  /** How long a removed endpoint drains before its slot is freed. */
  drainMs: number;
  /** The clock (epoch ms). */
  now: number;
  /** Where the static server listens, and the edge cache; required when there are static sites. */
  static?: StaticBackendOptions & { cache?: StaticCacheOptions };
}

/** The plan: commands in order, whether to reload (and why), and the state after it. */
export interface RouterPlan {
  runtime: RouterCommand[];
  reload: boolean;
  reasons: string[];
  next: RouterState;
  /** When to plan again to finish drains (epoch ms); absent: nothing pending. */
  nextCheckAt?: number;
  /** With `reload`: the full configuration to load. */
  config?: HaproxyConfig;
}
