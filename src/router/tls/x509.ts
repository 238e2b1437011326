/**
 * The one place that loads `@peculiar/x509`. Its dependency injection (tsyringe) needs the
 * Reflect metadata API, so the polyfill is imported first; everything else imports from here.
 */
import "reflect-metadata";

export * as x509 from "@peculiar/x509";
