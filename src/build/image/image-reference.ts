/**
 * The image reference of an app spec `image` source block: which registry, repository, tag or
 * digest it names, fully qualified as containers/image tools expect it.
 */
import { SlipwayError } from "../../resources/index.js";
import type { ServiceSpec } from "../../spec/index.js";

/** The `image` block of a component (services, workers, jobs share the shape). */
export type ImageSourceSpec = NonNullable<ServiceSpec["image"]>;

/** A fully qualified image reference. */
export interface ImageReference {
  /** Registry host and repository, e.g. `docker.io/library/node`. */
  name: string;
  /** The tag; `latest` when the spec has neither tag nor digest. */
  tag: string;
  /** `sha256:…` when the spec pins one; it then wins over the tag. */
  digest?: string;
  /** `name@digest` or `name:tag`: what a user would type. */
  text: string;
}

/** Options of {@link imageReference}. */
export interface ImageReferenceOptions {
  /**
   * The DOCR registry name used when a DOCR source has no `registry` (the app spec leaves it
   * empty: on DigitalOcean it is the account's registry). Default none: such a source is rejected.
   */
  docrRegistry?: string;
}

const SEGMENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/**
 * The reference of `source`: DOCR -> `registry.digitalocean.com/<registry>/<repository>`,
 * DOCKER_HUB -> `docker.io/<registry or library>/<repository>`, GHCR ->
 * `ghcr.io/<registry>/<repository>`; tag defaults to `latest`. Throws invalid_argument, naming
 * the field, for a missing registry type, a GHCR or DOCR source without a registry name, or a
 * repository that is not a valid repository path.
 */
export function imageReference(source: ImageSourceSpec, options: ImageReferenceOptions = {}): ImageReference {
  const bad = (field: string, why: string) => new SlipwayError("invalid_argument", `image.${field}: ${why}`);
  const repository = source.repository;
  if (!SEGMENT.test(repository))
    throw bad(
      "repository",
      `${JSON.stringify(repository)} is not a repository path (lowercase letters, digits, . _ - and /)`,
    );
  const registry = source.registry === undefined || source.registry === "" ? undefined : source.registry;
  if (registry !== undefined && !SEGMENT.test(registry))
    throw bad("registry", `${JSON.stringify(registry)} is not a registry name`);
  let name: string;
  switch (source.registry_type) {
    case "DOCR": {
      const r = registry ?? options.docrRegistry;
      if (r === undefined)
        throw bad(
          "registry",
          "a DOCR source needs a registry name, and no default DOCR registry is configured",
        );
      name = `registry.digitalocean.com/${r}/${repository}`;
      break;
    }
    case "DOCKER_HUB":
      // Without a namespace, Docker Hub's official images live under `library`.
      name = `docker.io/${registry ?? (repository.includes("/") ? "" : "library")}/${repository}`.replace(
        "io//",
        "io/",
      );
      break;
    case "GHCR":
      if (registry === undefined)
        throw bad("registry", "a GHCR source needs the owner (user or organization) as registry");
      name = `ghcr.io/${registry}/${repository}`;
      break;
    case undefined:
    case "UNSPECIFIED":
      throw bad("registry_type", "must be DOCR, DOCKER_HUB or GHCR");
    default: {
      const never: never = source.registry_type;
      throw bad("registry_type", `unknown registry type ${String(never)}`);
    }
  }
  const tag = source.tag ?? "latest";
  const ref: ImageReference = { name, tag, text: `${name}:${tag}` };
  if (source.digest !== undefined) {
    ref.digest = source.digest;
    ref.text = `${name}@${source.digest}`;
  }
  return ref;
}
