/**
 * The `/etc/hosts` an instance sees: its own names plus every component of its app by name, so
 * that `http://meta:8080` reaches the `meta` component's instance (DO's internal service names).
 * Written before the instance starts and mounted read-only; rewritten in place when the app's
 * instances change (ADR 0027).
 */
import { open } from "node:fs/promises";

/** One name in the hosts file. */
export interface HostsEntry {
  /** A component name (DNS label). */
  name: string;
  ip: string;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The file's text: localhost lines, then one line per entry in the given order (a component with
 * several instances gets several lines; resolvers take the first). Throws on a name that is not a
 * DNS label or an address that is not dotted IPv4.
 */
export function renderHostsFile(entries: readonly HostsEntry[]): string {
  const lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"];
  for (const entry of entries) {
    if (!LABEL.test(entry.name))
      throw new Error(`renderHostsFile: invalid name ${JSON.stringify(entry.name)}`);
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(entry.ip))
      throw new Error(`renderHostsFile: invalid address ${JSON.stringify(entry.ip)}`);
    lines.push(`${entry.ip}\t${entry.name}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Rewrites the hosts file at `path` in place, keeping its inode: a running sandbox has the file
 * bind-mounted, and a bind mount follows the inode, so a rename would leave the sandbox on the
 * old file (checked under runsc: an in-place write is seen at once, a rename never). One write
 * at offset 0 then a truncate to the new length; the file is small, so a reader sees the old or
 * the new text, at worst with the old tail for the instant between the two calls.
 */
export async function rewriteHostsFile(path: string, text: string): Promise<void> {
  const file = await open(path, "r+").catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return open(path, "w");
    throw err;
  });
  try {
    const bytes = Buffer.from(text);
    await file.write(bytes, 0, bytes.length, 0);
    await file.truncate(bytes.length);
  } finally {
    await file.close();
  }
}
