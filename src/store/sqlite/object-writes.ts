/**
 * The write rules of the embedded store as pure functions: what an object becomes on create,
 * update, updateStatus and delete. They never allocate a resourceVersion: the result carries the
 * stored one, and the store stamps the new version only when something is written.
 */
import { SlipwayError } from "../../resources/errors.js";
import type { NewResource, ObjectMeta, Resource } from "../../resources/meta.js";
import { canonicalJson } from "../canonical-json.js";

/** What a write does to the stored row. */
export type WriteOutcome =
  /** Nothing changes; `object` is returned to the caller as it is stored. */
  | { op: "none"; object: Resource }
  /** Insert or replace the object; the event is ADDED or MODIFIED. */
  | { op: "put"; type: "ADDED" | "MODIFIED"; object: Resource }
  /** Remove the object; the event is DELETED. */
  | { op: "remove"; object: Resource };

/** The fields of metadata a client may set. */
function userMeta(meta: Partial<ObjectMeta>): Partial<ObjectMeta> {
  const picked: Partial<ObjectMeta> = {};
  if (meta.labels !== undefined) picked.labels = meta.labels;
  if (meta.annotations !== undefined) picked.annotations = meta.annotations;
  if (meta.finalizers !== undefined && meta.finalizers.length > 0) picked.finalizers = meta.finalizers;
  if (meta.ownerReferences !== undefined) picked.ownerReferences = meta.ownerReferences;
  return picked;
}

/** The fields of metadata only the store sets, with their stored values. */
function systemMeta(meta: ObjectMeta): ObjectMeta {
  const kept: ObjectMeta = {
    name: meta.name,
    uid: meta.uid,
    resourceVersion: meta.resourceVersion,
    generation: meta.generation,
    creationTimestamp: meta.creationTimestamp,
  };
  if (meta.namespace !== undefined) kept.namespace = meta.namespace;
  if (meta.deletionTimestamp !== undefined) kept.deletionTimestamp = meta.deletionTimestamp;
  return kept;
}

function unchanged(before: Resource, after: Resource): boolean {
  return canonicalJson(before) === canonicalJson(after);
}

/** Builds a new object: uid, generation 1, creationTimestamp; client-set uid/version/timestamps are ignored. */
export function createdObject(input: NewResource<Resource>, uid: string, now: Date): Resource {
  const meta = input.metadata;
  const metadata: ObjectMeta = {
    name: meta.name,
    ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }),
    uid,
    resourceVersion: "0",
    generation: 1,
    creationTimestamp: now.toISOString(),
    ...userMeta(meta),
  };
  const object: Resource = { apiVersion: input.apiVersion, kind: input.kind, metadata, spec: input.spec };
  if (input.status !== undefined) object.status = input.status;
  return object;
}

function checkTerminatingUpdate(stored: Resource, input: Resource, specChanged: boolean): void {
  if (specChanged) {
    throw new SlipwayError(
      "invalid_argument",
      `${stored.kind} ${stored.metadata.name} is being deleted: its spec can no longer change, only its metadata`,
    );
  }
  const before = stored.metadata.finalizers ?? [];
  const added = (input.metadata.finalizers ?? []).filter((f) => !before.includes(f));
  if (added.length > 0) {
    throw new SlipwayError(
      "invalid_argument",
      `${stored.kind} ${stored.metadata.name} is being deleted: finalizers cannot be added (${added.join(", ")})`,
    );
  }
}

/**
 * Applies an update: spec and client metadata from `input`, status and system metadata from
 * `stored`; generation + 1 when the spec changed (canonical JSON). On an object being deleted
 * only metadata may change and finalizers may only be removed; removing the last one removes
 * the object. An update that changes nothing writes nothing.
 */
export function updatedObject(stored: Resource, input: Resource): WriteOutcome {
  const specChanged = canonicalJson(stored.spec) !== canonicalJson(input.spec);
  const terminating = stored.metadata.deletionTimestamp !== undefined;
  if (terminating) checkTerminatingUpdate(stored, input, specChanged);
  const metadata: ObjectMeta = { ...systemMeta(stored.metadata), ...userMeta(input.metadata) };
  if (specChanged) metadata.generation += 1;
  const next: Resource = { apiVersion: input.apiVersion, kind: stored.kind, metadata, spec: input.spec };
  if (stored.status !== undefined) next.status = stored.status;
  if (terminating && metadata.finalizers === undefined) return { op: "remove", object: next };
  return unchanged(stored, next)
    ? { op: "none", object: stored }
    : { op: "put", type: "MODIFIED", object: next };
}

/** Replaces status only (absent status clears it); spec, metadata and generation stay. */
export function statusUpdatedObject(stored: Resource, input: Resource): WriteOutcome {
  const next: Resource = { ...stored, metadata: { ...stored.metadata } };
  if (input.status === undefined) delete next.status;
  else next.status = input.status;
  return unchanged(stored, next)
    ? { op: "none", object: stored }
    : { op: "put", type: "MODIFIED", object: next };
}

/**
 * Requests deletion: with finalizers, sets deletionTimestamp once (a repeated delete changes
 * nothing); without, removes the object.
 */
export function deletedObject(stored: Resource, now: Date): WriteOutcome {
  if ((stored.metadata.finalizers ?? []).length === 0) return { op: "remove", object: stored };
  if (stored.metadata.deletionTimestamp !== undefined) return { op: "none", object: stored };
  const metadata = { ...stored.metadata, deletionTimestamp: now.toISOString() };
  return { op: "put", type: "MODIFIED", object: { ...stored, metadata } };
}
