/**
 * Registry mirrors: where an image reference is really fetched from. A self-hosted operator maps
 * registries (or repository prefixes) to mirrors, e.g. `{ "docker.io": "http://127.0.0.1:5000" }`;
 * Slipway's own stack image (`slipway/stack`, i.e. `docker.io/slipway/stack`) usually lives in such
 * a mirror. The same map drives `skopeo` (references are rewritten here) and buildah's `FROM`
 * (through a registries.conf written at build time).
 */

import { SlipwayError } from "../../resources/index.js";
import { canonical } from "../../spec/index.js";

/**
 * Mirror URLs by reference prefix: a registry host (`docker.io`, `ghcr.io`) or a repository
 * prefix (`docker.io/slipway`). `http://` means plain HTTP (and no TLS verification), `https://`
 * TLS; a path after the host replaces the prefix's path. The longest matching prefix wins.
 */
export type RegistryMirrors = Readonly<Record<string, string>>;

/** A reference after mirroring: what to fetch and whether TLS is verified. */
export interface ResolvedReference {
  /** The reference as the user named it, fully qualified (`docker.io/library/node`). */
  original: string;
  /** What to fetch (`127.0.0.1:5000/library/node`); equal to `original` without a mirror. */
  fetch: string;
  /** False for `http://` mirrors. */
  tlsVerify: boolean;
}

interface ParsedMirror {
  prefix: string;
  location: string;
  insecure: boolean;
}

function parseMirror(prefix: string, url: string): ParsedMirror {
  const match = /^(https?):\/\/([^/?#]+)(\/[^?#]*)?$/.exec(url);
  if (match === null || prefix === "" || prefix.includes("://"))
    throw new SlipwayError(
      "invalid_argument",
      `registry mirror ${JSON.stringify(prefix)}: expected a registry or repository prefix mapped to ` +
        `http://HOST[:PORT][/PATH] or https://…, got ${JSON.stringify(url)}`,
    );
  const path = (match[3] ?? "").replace(/\/+$/, "");
  return {
    prefix: prefix.replace(/\/+$/, ""),
    location: `${match[2]}${path}`,
    insecure: match[1] === "http",
  };
}

function parsedMirrors(mirrors: RegistryMirrors): ParsedMirror[] {
  return Object.entries(mirrors)
    .map(([prefix, url]) => parseMirror(prefix, url))
    .sort((a, b) => b.prefix.length - a.prefix.length);
}

/**
 * Rewrites a fully qualified repository name (`docker.io/library/node`, no tag or digest) through
 * `mirrors`. A prefix matches whole path segments only (`docker.io/slip` does not match
 * `docker.io/slipway`). Throws invalid_argument for a malformed mirror.
 */
export function resolveReference(name: string, mirrors: RegistryMirrors = {}): ResolvedReference {
  for (const m of parsedMirrors(mirrors)) {
    if (name === m.prefix || name.startsWith(`${m.prefix}/`))
      return { original: name, fetch: `${m.location}${name.slice(m.prefix.length)}`, tlsVerify: !m.insecure };
  }
  return { original: name, fetch: name, tlsVerify: true };
}

const tomlString = (s: string): string => JSON.stringify(s);

/**
 * The registries.conf (containers-registries.conf(5), v2) buildah reads for `FROM`: short names
 * resolve against docker.io as Docker would (`slipway/stack` is `docker.io/slipway/stack`,
 * `node:20` is `docker.io/library/node:20`), and each mirror becomes a `[[registry]]` whose
 * location replaces the prefix. `http://` mirrors are marked insecure. Pure.
 */
export function renderRegistriesConf(mirrors: RegistryMirrors = {}): string {
  const lines = [
    "# Written by Slipway for one build; see src/build/image/registry-mirrors.ts.",
    'unqualified-search-registries = ["docker.io"]',
    // Permissive: never prompt (there is no terminal) and never fail on an ambiguous short name.
    'short-name-mode = "permissive"',
  ];
  for (const m of parsedMirrors(mirrors)) {
    lines.push(
      "",
      "[[registry]]",
      `prefix = ${tomlString(m.prefix)}`,
      `location = ${tomlString(m.location)}`,
    );
    if (m.insecure) lines.push("insecure = true");
  }
  return `${lines.join("\n")}\n`;
}

/** A canonical text of `mirrors` for artifact ids: key order does not count. Pure. */
export function mirrorsFingerprint(mirrors: RegistryMirrors = {}): string {
  return canonical(
    Object.fromEntries(
      parsedMirrors(mirrors).map((m) => [m.prefix, `${m.insecure ? "http" : "https"}://${m.location}`]),
    ),
  );
}
