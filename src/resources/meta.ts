/**
 * Kubernetes-shaped object metadata shared by every Slipway resource (DESIGN.md, "Principles" 2).
 */

/** The API group and version of every Slipway resource. */
export const API_VERSION = "slipway.dev/v1alpha1";

/** Identifies one object of a kind. Slipway's embedded resources live in namespaces named after teams. */
export interface ObjectKey {
  namespace?: string;
  name: string;
}

/** Points from a dependent object to the object that owns it (garbage collection, lookups). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

/** Metadata every stored object carries. The store sets uid, resourceVersion, generation and timestamps. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  /** Set by the store on create; never changes. */
  uid: string;
  /** Opaque to clients; changes on every write (spec, metadata or status). */
  resourceVersion: string;
  /** Starts at 1; bumped by the store when `spec` changes, never by status writes. */
  generation: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** While non-empty, a delete only sets `deletionTimestamp`; the object goes when the list empties. */
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  /** RFC 3339, set by the store on create. */
  creationTimestamp: string;
  /** RFC 3339, set by the store when a delete is requested on an object with finalizers. */
  deletionTimestamp?: string;
}

/** A Kubernetes-style condition (`type`, `status`, `reason`, `message`, `lastTransitionTime`). */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** Every resource: `apiVersion`, `kind`, `metadata`, `spec` and an optional `status`. */
export interface Resource<Kind extends string = string, Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

/** The fields a client supplies to create an object; the store fills the rest of the metadata. */
export type NewResource<R extends Resource> = Omit<R, "metadata" | "status"> & {
  metadata: Pick<ObjectMeta, "name"> & Partial<Omit<ObjectMeta, "name">>;
  status?: R["status"];
};
