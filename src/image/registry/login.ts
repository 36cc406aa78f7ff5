// `login` and `logout`: a login is checked against the registry before it is kept.
import { MydockerError } from "../../util/errors.js";
import { DefaultDomain } from "../reference.js";
import { RegistryClient, type RegistryOptions } from "./client.js";
import { eraseCredentials, storeCredentials, type Credentials } from "./credentials.js";

/** The registry a login names, as docker accepts it: "host:port", "https://host/v2/", none (Docker Hub). */
export function loginDomain(server: string | undefined): string {
  if (server === undefined || server === "") return DefaultDomain;
  const bare = server.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (bare === "index.docker.io" || bare === "registry-1.docker.io") return DefaultDomain;
  if (!/^[A-Za-z0-9.-]+(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/.test(bare)) {
    throw new MydockerError("invalid_reference", `invalid registry "${server}": use HOST[:PORT]`);
  }
  return bare;
}

/** Checks the credentials with the registry (all the Engine API's POST /auth does); returns its domain. */
export async function checkLogin(server: string | undefined, credentials: Credentials, options: Omit<RegistryOptions, "credentials"> = {}): Promise<string> {
  if (credentials.username === "") throw new MydockerError("EINVAL", "login needs a username (-u)");
  if (credentials.password === "") throw new MydockerError("EINVAL", "login needs a password (--password-stdin or -p)");
  const domain = loginDomain(server);
  await new RegistryClient(domain, { ...options, credentials }).login();
  return domain;
}

/** Checks the credentials with the registry, then keeps them; returns where they went. */
export async function login(server: string | undefined, credentials: Credentials, options: Omit<RegistryOptions, "credentials"> = {}): Promise<string> {
  return storeCredentials(await checkLogin(server, credentials, options), credentials, options.auth);
}

/** Forgets the login; false when there was none. */
export function logout(server: string | undefined, options: Pick<RegistryOptions, "auth"> = {}): boolean {
  return eraseCredentials(loginDomain(server), options.auth);
}
