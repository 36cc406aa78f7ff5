// A client for the OCI distribution API. HTTPS first, verified against the system's CAs
// and the registry's certs.d; plain HTTP only for an insecure registry or one on loopback
// whose HTTPS fails, as docker does. Basic and bearer-token auth from the registry's
// WWW-Authenticate challenge, with the stored login when no credentials are given.
import { MydockerError } from "../../util/errors.js";
import { storedCredentials, type AuthLocations, type Credentials } from "./credentials.js";
import { isCertificateError, request as httpRequest, type HttpResponse, type TlsSettings } from "./http.js";
import { isInsecure, isLoopback, readRegistryConfig, tlsSettings, type RegistryConfig } from "./settings.js";

export type { Credentials } from "./credentials.js";

export interface RegistryOptions {
  credentials?: Credentials;
  /** false: HTTPS without verification, then plain HTTP; true: verified HTTPS only. Unset: docker's defaults. */
  tlsVerify?: boolean;
  /** podman's --cert-dir: the CA and client certificate for this registry. */
  certDir?: string;
  /** Where stored logins are read (podman's --authfile). */
  auth?: AuthLocations;
  /** The engine's settings (insecure-registries, certs.d); read from its file when absent. */
  config?: RegistryConfig;
  /** Aborting it ends every request: the pull or push fails with its reason (an interrupt). */
  signal?: AbortSignal;
}

/** What an interrupted operation fails with: the signal's reason, whatever broke on the way. */
export async function interruptible<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  try {
    return await work();
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw e;
  }
}

/** Parses `Bearer realm="...",service="...",scope="..."`. */
function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(" ");
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)="([^"]*)"/g;
  for (let m = re.exec(header); m !== null; m = re.exec(header)) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

function reason(e: unknown): string {
  // OpenSSL's messages run over lines with its source positions; its reason is the part to say.
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const text = err.code ? `${err.code}: ${err.reason ?? err.message}` : String(err.message ?? e);
  return text.replace(/\s+/g, " ").trim();
}

/** An HTTPS connection the registry refused, with what to do when it wants a client certificate. */
function httpsFailed(domain: string, e: unknown): MydockerError {
  const code = (e as NodeJS.ErrnoException).code ?? "";
  const wantsCertificate = /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE|UNKNOWN_CA/.test(code);
  const hint = wantsCertificate ? `: it wants a client certificate: put client.cert and client.key in /etc/docker/certs.d/${domain}/` : "";
  return new MydockerError("registry_tls", `cannot reach ${domain} over https (${reason(e)})${hint}`);
}

/** Most of a reply a challenge or an error body may have. */
const MaxSmallBody = 1 << 20;

export class RegistryClient {
  /** The host requests go to (Docker Hub's API is not at docker.io). */
  readonly host: string;
  private base: Promise<string> | undefined;
  private readonly tls: TlsSettings;
  private readonly insecure: boolean;
  private authorization: string | undefined;
  private sentCredentials = false;

  constructor(readonly domain: string, private readonly options: RegistryOptions = {}) {
    this.host = domain === "docker.io" ? "registry-1.docker.io" : domain;
    const config = options.config ?? readRegistryConfig();
    this.insecure = options.tlsVerify === false || (options.tlsVerify === undefined && isInsecure(domain, config));
    this.tls = tlsSettings(domain, !this.insecure, config, options.certDir);
  }

  /** "https://host" or "http://host", found once by asking /v2/ over HTTPS and, where allowed, HTTP. */
  endpoint(): Promise<string> {
    return (this.base ??= this.probe());
  }

  private async probe(): Promise<string> {
    const secure = `https://${this.host}`;
    try {
      await (await httpRequest(`${secure}/v2/`, { method: "GET", tls: this.tls })).discard();
      return secure;
    } catch (e) {
      const fallback = this.options.tlsVerify !== true && (this.insecure || (isLoopback(this.host) && !isCertificateError(e)));
      if (!fallback) {
        if (isCertificateError(e)) {
          throw new MydockerError(
            "registry_tls",
            `${this.domain}: the registry's certificate is not trusted (${reason(e)}): put its CA in /etc/docker/certs.d/${this.domain}/ca.crt, or use --tls-verify=false`,
          );
        }
        throw new MydockerError("registry_unreachable", `cannot reach ${this.domain} over https: ${reason(e)}`);
      }
      const plain = `http://${this.host}`;
      let status: number;
      try {
        const res = await httpRequest(`${plain}/v2/`, { method: "GET" });
        status = res.status;
        await res.discard();
      } catch (e2) {
        throw new MydockerError("registry_unreachable", `cannot reach ${this.domain}: https: ${reason(e)}; http: ${reason(e2)}`);
      }
      // 400 to plain HTTP is a server that speaks only HTTPS (Go's "Client sent an HTTP
      // request to an HTTPS server"): what failed is its HTTPS, say why.
      if (status === 400) throw httpsFailed(this.domain, e);
      return plain;
    }
  }

  private credentials(): Credentials | undefined {
    return this.options.credentials ?? storedCredentials(this.domain, this.options.auth);
  }

  private unauthorized(detail?: string): MydockerError {
    if (this.sentCredentials) return new MydockerError("registry_unauthorized", `${this.domain}: unauthorized: incorrect username or password`);
    return new MydockerError("registry_unauthorized", `${this.domain}: unauthorized: ${detail ?? "authentication required"} (log in with: mydocker login ${this.domain})`);
  }

  private async authenticate(challenge: string, scope: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    const creds = this.credentials();
    this.sentCredentials = creds !== undefined;
    const basic = creds && `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
    if (scheme === "basic") {
      if (!basic) throw this.unauthorized();
      this.authorization = basic;
      return;
    }
    if (scheme !== "bearer" || !params.realm) throw new MydockerError("registry_auth", `unsupported authentication challenge from ${this.domain}: ${challenge}`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    if (params.scope ?? scope) url.searchParams.set("scope", params.scope ?? scope);
    if (creds) url.searchParams.set("account", creds.username);
    let res: HttpResponse;
    try {
      res = await httpRequest(url.toString(), { method: "GET", headers: basic ? { Authorization: basic } : {}, tls: this.tls });
    } catch (e) {
      throw new MydockerError("registry_unreachable", `${this.domain}: cannot reach its token service ${url.origin}: ${reason(e)}`);
    }
    if (res.status === 401 || res.status === 403) {
      await res.discard();
      throw this.unauthorized();
    }
    if (res.status < 200 || res.status > 299) {
      await res.discard();
      throw new MydockerError("registry_auth", `${this.domain}: getting a token failed: ${res.status} ${res.statusText}`);
    }
    const body = JSON.parse((await res.bytes(MaxSmallBody, "a token reply")).toString()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new MydockerError("registry_auth", `${this.domain}: the token service returned no token`);
    this.authorization = `Bearer ${token}`;
  }

  /**
   * A request to path (below /v2/, or an absolute URL the registry gave), retried once
   * after an auth challenge (only with no body or a Buffer one: a stream cannot be replayed).
   */
  async request(method: string, pathOrUrl: string, scope: string, init: { headers?: Record<string, string>; body?: Buffer | AsyncIterable<Buffer> } = {}): Promise<HttpResponse> {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${await this.endpoint()}${pathOrUrl}`;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      // A Location the registry gave may point elsewhere: its credentials stay with it.
      if (this.authorization && new URL(url).host === this.host) headers.Authorization = this.authorization;
      let res: HttpResponse;
      try {
        res = await httpRequest(url, { method, headers, body: init.body, tls: this.tls, signal: this.options.signal });
      } catch (e) {
        if (this.options.signal?.aborted) throw this.options.signal.reason;
        throw new MydockerError("registry_unreachable", `cannot reach ${this.domain}: ${reason(e)}`);
      }
      const challenge = res.header("www-authenticate");
      if (res.status === 401 && challenge && attempt === 0 && (init.body === undefined || Buffer.isBuffer(init.body))) {
        await res.discard();
        await this.authenticate(challenge, scope);
        continue;
      }
      if (res.status === 401 && attempt > 0) {
        await res.discard();
        throw this.unauthorized();
      }
      return res;
    }
  }

  /** Checks a login: /v2/ answers with the credentials given. */
  async login(): Promise<void> {
    await (await RegistryClient.check(await this.request("GET", "/v2/", ""), `logging in to ${this.domain}`)).discard();
  }

  /** Fails with the registry's error message for a response that is not ok. */
  static async check(res: HttpResponse, what: string): Promise<HttpResponse> {
    if (res.status >= 200 && res.status <= 299) return res;
    let detail = `${res.status} ${res.statusText}`;
    try {
      const body = JSON.parse((await res.bytes(MaxSmallBody, "an error reply")).toString()) as { errors?: { code: string; message: string }[] };
      if (body.errors?.length) detail = body.errors.map((e) => `${e.code}: ${e.message}`).join("; ");
    } catch {
      // a body that is not the registry's JSON error: the status says enough
    }
    const code = res.status === 404 ? "registry_not_found" : res.status === 401 || res.status === 403 ? "registry_unauthorized" : "registry_error";
    throw new MydockerError(code, `${what}: ${detail}`);
  }
}
