/**
 * The app's own address as DO's `${APP_DOMAIN}` and `${APP_URL}` give it: the PRIMARY domain of the
 * spec when it has one, otherwise the app's default domain (`<app>.<base domain>`).
 */
import type { AppSpec } from "../../spec/index.js";

/** The app's domain and URL (`https://<domain>`, `http://` when TLS is off), no trailing slash. */
export interface AppAddress {
  appDomain: string;
  appUrl: string;
}

/** Where the app is served by default. */
export interface AppAddressOptions {
  /** The default domain, e.g. `web.apps.example.com` (`<app>.<base domain>`). */
  defaultDomain: string;
  /** False when the router serves plain HTTP (no certificates); then URLs start with `http://`. */
  tls: boolean;
}

/**
 * The address `${APP_DOMAIN}` / `${APP_URL}` resolve to (reference 1.12: PRIMARY is "used by
 * `${APP_URL}`/`${APP_DOMAIN}` and by live_url"). A PRIMARY domain's trailing dot is dropped and
 * it is lower-cased; without one, `defaultDomain` is used.
 */
export function appAddress(spec: AppSpec, options: AppAddressOptions): AppAddress {
  const primary = spec.domains?.find((d) => d.type === "PRIMARY")?.domain;
  const appDomain = (primary ?? options.defaultDomain).replace(/\.$/, "").toLowerCase();
  return { appDomain, appUrl: `${options.tls ? "https" : "http"}://${appDomain}` };
}
