// A client for the OCI distribution API: bearer-token (and basic) auth from the
// registry's WWW-Authenticate challenge, https except for registries on loopback.
import { MydockerError } from "../../util/errors.js";

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryOptions {
  credentials?: Credentials;
  /** Use plain http even off loopback (docker's insecure-registries). */
  insecure?: boolean;
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return name === "localhost" || name === "::1" || /^127\.\d+\.\d+\.\d+$/.test(name);
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

export class RegistryClient {
  readonly base: string;
  private authorization: string | undefined;

  constructor(readonly domain: string, private readonly options: RegistryOptions = {}) {
    const host = domain === "docker.io" ? "registry-1.docker.io" : domain;
    const scheme = options.insecure || isLoopback(host) ? "http" : "https";
    this.base = `${scheme}://${host}`;
  }

  private async authenticate(challenge: string, scope: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    const creds = this.options.credentials;
    const basic = creds && `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
    if (scheme === "basic") {
      if (!basic) throw new MydockerError("registry_unauthorized", `${this.domain} requires a login`);
      this.authorization = basic;
      return;
    }
    if (scheme !== "bearer" || !params.realm) throw new MydockerError("registry_auth", `unsupported authentication challenge from ${this.domain}: ${challenge}`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    url.searchParams.set("scope", params.scope ?? scope);
    const res = await fetch(url, { headers: basic ? { Authorization: basic } : {} });
    if (!res.ok) throw new MydockerError("registry_unauthorized", `${this.domain}: getting a token failed: ${res.status} ${res.statusText}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new MydockerError("registry_auth", `${this.domain}: the token service returned no token`);
    this.authorization = `Bearer ${token}`;
  }

  /** A request to path (below /v2/ or absolute from the registry's Location), retried once after an auth challenge. */
  async request(method: string, pathOrUrl: string, scope: string, init: { headers?: Record<string, string>; body?: Buffer | AsyncIterable<Uint8Array> } = {}): Promise<Response> {
    const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${this.base}${pathOrUrl}`;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      if (this.authorization) headers.Authorization = this.authorization;
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body: init.body as BodyInit | undefined, redirect: "follow", ...(init.body && !Buffer.isBuffer(init.body) ? { duplex: "half" } : {}) } as RequestInit);
      } catch (e) {
        throw new MydockerError("registry_unreachable", `cannot reach ${this.domain}: ${(e as Error).cause ?? (e as Error).message}`);
      }
      const challenge = res.headers.get("www-authenticate");
      if (res.status === 401 && challenge && attempt === 0 && (init.body === undefined || Buffer.isBuffer(init.body))) {
        await res.body?.cancel();
        await this.authenticate(challenge, scope);
        continue;
      }
      return res;
    }
  }

  /** Fails with the registry's error message for a response that is not ok. */
  static async check(res: Response, what: string): Promise<Response> {
    if (res.ok) return res;
    let detail = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { errors?: { code: string; message: string }[] };
      if (body.errors?.length) detail = body.errors.map((e) => `${e.code}: ${e.message}`).join("; ");
    } catch {
      // a body that is not the registry's JSON error: the status says enough
    }
    const code = res.status === 404 ? "registry_not_found" : res.status === 401 || res.status === 403 ? "registry_unauthorized" : "registry_error";
    throw new MydockerError(code, `${what}: ${detail}`);
  }
}
