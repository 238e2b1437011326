/**
 * A Deployment's app spec with its SECRET values decrypted, for the build and the instances that
 * need them in plaintext. The result lives in memory only: never store or log it.
 */
import type { Deployment } from "../resources/index.js";
import { decryptSpecSecrets, type Keyring, secretContext } from "../secrets/index.js";
import type { AppSpec } from "../spec/index.js";

/** The spec as stored when `secrets` is undefined (a server without encryption, tests). */
export function plainSpec(deployment: Deployment, secrets: Keyring | undefined): AppSpec {
  if (secrets === undefined) return deployment.spec.appSpec;
  const context = secretContext({
    namespace: deployment.metadata.namespace ?? "",
    name: deployment.spec.app,
  });
  return decryptSpecSecrets(deployment.spec.appSpec, secrets, context);
}
