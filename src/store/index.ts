export {
  type LabelSelector,
  matchesSelector,
  parseLabelSelector,
  type SelectorOperator,
  type SelectorRequirement,
} from "./label-selector.js";
export { openSqliteStore, type SqliteStoreOptions } from "./sqlite/sqlite-store.js";
export type { DeleteOptions, ListOptions, ListResult, Store, WatchEvent, WatchOptions } from "./store.js";
