/**
 * Lists the stacks under a root folder.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { readStackInfo } from "./read-stack-info.js";
import type { StackInfo } from "./stack-info.js";

/** The stacks found, oldest first, and folders that look like stacks but cannot be read. */
export interface StackList {
  stacks: StackInfo[];
  problems: string[];
}

/**
 * Reads `<root>/*\/stack.json`. Builds in progress (`*.tmp`) and folders without a stack.json
 * are skipped; an unreadable stack.json is reported in `problems`. A missing root is empty.
 */
export async function listStacks(root: string): Promise<StackList> {
  const entries = await readdir(root, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw err;
  });
  const result: StackList = { stacks: [], problems: [] };
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.endsWith(".tmp")) continue;
    try {
      const info = await readStackInfo(join(root, entry.name));
      if (info !== undefined) result.stacks.push(info);
    } catch (err) {
      result.problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  result.stacks.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.name.localeCompare(b.name));
  return result;
}
