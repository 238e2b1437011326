export { type ErrorCode, type ErrorDetail, isErrorCode, SlipwayError } from "./errors.js";
export {
  API_VERSION,
  type Condition,
  type NewResource,
  type ObjectKey,
  type ObjectMeta,
  type OwnerReference,
  type Resource,
} from "./meta.js";
