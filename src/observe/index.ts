/**
 * Observability: log streams of builds and instances (metrics come with the runtime).
 */
export {
  createFileLogStore,
  type FileLogStoreOptions,
  type FollowLogOptions,
  type LogEntry,
  type LogStore,
  type LogStreamId,
  type LogType,
  type ReadLogOptions,
} from "./log-store.js";
