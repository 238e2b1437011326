export type { DeleteOptions, ListOptions, ListResult, Store, WatchEvent, WatchOptions } from "./store.js";
