/**
 * The Store interface: Kubernetes-shaped resources with optimistic concurrency, a status
 * subresource, finalizers and watches. The embedded SQLite store and the Kubernetes API store
 * both implement it, so controllers run unchanged on either (DESIGN.md, "Principles" 2).
 *
 * Errors are `SlipwayError`s: `not_found`, `already_exists`, `conflict` (resourceVersion
 * mismatch), `gone` (a watch or list continue token from a resourceVersion that is no longer
 * kept: relist), `invalid_argument` (bad selector or object).
 */
import type { NewResource, ObjectKey, Resource } from "../resources/meta.js";

/** Options of `list`. */
export interface ListOptions {
  /** Only objects in this namespace; all namespaces when omitted. */
  namespace?: string;
  /** Kubernetes label selector syntax: `a=b,c!=d,e in (f,g),!h,i`. */
  labelSelector?: string;
  /** Page size; all objects when omitted. */
  limit?: number;
  /**
   * The `continue` token of the previous page. Every page reports the first page's
   * `resourceVersion`; a token whose version is no longer kept fails with `gone` (list again),
   * a malformed one with `invalid_argument`.
   */
  continue?: string;
}

/** One page of a list. `resourceVersion` is the store's version at the time of the list: watch from it. */
export interface ListResult<R extends Resource> {
  items: R[];
  resourceVersion: string;
  /** Set when more items remain. */
  continue?: string;
}

/** Options of `watch`. */
export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  /**
   * Deliver every change after this version; when omitted, the watch starts at the current
   * version (no initial ADDED events). A version older than the store keeps fails with `gone`.
   * With a `labelSelector`, an object modified into the selection arrives as ADDED and one
   * modified out of it as DELETED, as in Kubernetes.
   */
  resourceVersion?: string;
  /** Send a BOOKMARK event at least this often while idle (milliseconds); none when omitted. */
  bookmarkIntervalMs?: number;
  /** Ends the watch. */
  signal?: AbortSignal;
}

/** One change seen by a watch. BOOKMARK carries only `metadata.resourceVersion`. */
export type WatchEvent<R extends Resource> =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: R }
  | { type: "BOOKMARK"; object: { metadata: { resourceVersion: string } } };

/** Options of `delete`. */
export interface DeleteOptions {
  /** Precondition: fail with `conflict` unless the object is at this version. */
  resourceVersion?: string;
}

/** Storage of Kubernetes-shaped resources. Kinds are plain strings ("App", "Deployment", ...). */
export interface Store {
  /** Reads one object; `not_found` if absent. */
  get<R extends Resource>(kind: R["kind"], key: ObjectKey): Promise<R>;
  /** Lists objects in a stable order (namespace, name). */
  list<R extends Resource>(kind: R["kind"], options?: ListOptions): Promise<ListResult<R>>;
  /**
   * Creates an object. The store sets uid, resourceVersion, generation 1 and creationTimestamp;
   * `already_exists` if the key is taken. Status given on create is kept.
   */
  create<R extends Resource>(object: NewResource<R>): Promise<R>;
  /**
   * Replaces spec and metadata (labels, annotations, finalizers, ownerReferences); status is
   * ignored. `metadata.resourceVersion` must match the stored one, else `conflict`.
   * `generation` is bumped when spec changed. On an object being deleted the spec may no longer
   * change and finalizers may only be removed (`invalid_argument`); removing the last one deletes
   * it (a DELETED event). An update that changes nothing may return the object unchanged.
   */
  update<R extends Resource>(object: R): Promise<R>;
  /** Replaces status only; never bumps generation. `conflict` on a resourceVersion mismatch. */
  updateStatus<R extends Resource>(object: R): Promise<R>;
  /**
   * Deletes an object. With finalizers, sets `deletionTimestamp` and returns the object, which
   * stays until its finalizers are removed (deleting it again changes nothing); without, removes
   * it and returns it as it was last. `not_found` if absent.
   */
  delete<R extends Resource>(kind: R["kind"], key: ObjectKey, options?: DeleteOptions): Promise<R>;
  /**
   * Streams changes in resourceVersion order. Ends when `signal` aborts, the consumer stops
   * iterating, or the store closes. Errors (`gone`, `invalid_argument`) are thrown by the
   * iterator, not by `watch` itself.
   */
  watch<R extends Resource>(kind: R["kind"], options?: WatchOptions): AsyncIterable<WatchEvent<R>>;
  /** Releases resources; open watches end. */
  close(): Promise<void>;
}
