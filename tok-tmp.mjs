import { SignJWT, importPKCS8 } from "jose";
import { readFileSync } from "node:fs";
const [keyfile, alg, kid, claims] = process.argv.slice(2);
const key = await importPKCS8(readFileSync(keyfile, "utf8"), alg);
const c = JSON.parse(claims ?? "{}");
process.stdout.write(await new SignJWT(c).setProtectedHeader({ alg, kid }).setIssuedAt().sign(key));
