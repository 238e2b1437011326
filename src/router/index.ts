export {
  type BackendSpec,
  backendName,
  type CorsPolicy,
  orderRules,
  type PathMatch,
  type RouteAction,
  type RoutedApp,
  type RouteRule,
  type RouteTable,
  type RouteTableOptions,
  routeTable,
} from "./route-table.js";
