/**
 * The Store conformance suite: one set of `node:test` cases every Store implementation must
 * pass (the embedded SQLite store, the Kubernetes store). Import it by path from a test file;
 * it is not exported from `index.ts` because it imports `node:test`.
 */
import { describe } from "node:test";
import { readCases, writeCases } from "./conformance-crud.js";
import type { OpenStore } from "./conformance-support.js";
import { watchCases } from "./conformance-watch.js";

export type { ConformanceOpenOptions, OpenStore } from "./conformance-support.js";

/**
 * Registers the suite under `describe(name)`. `open` is called once per case and must return a
 * fresh, empty store; `cleanup` must close it (closing twice must be harmless) and remove what
 * it created. `open` receives `watchHistory` for the case that provokes `gone`.
 */
export function runStoreConformance(name: string, open: OpenStore): void {
  describe(`${name}: Store conformance`, { timeout: 20_000 }, () => {
    describe("reads", () => readCases(open));
    describe("writes", () => writeCases(open));
    describe("watches", () => watchCases(open));
  });
}
