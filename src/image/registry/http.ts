// HTTP(S) requests to a registry (and a build's ADD of a URL) over node:http/node:https
// rather than fetch: each registry gets its own TLS settings (a CA from certs.d, a client
// certificate, no verification when marked insecure), every connection trusts the caller's
// extra CAs (src/util/extra-ca.ts), and request bodies stream with bounded memory.
import type { Agent as HttpAgent, IncomingMessage } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { http, https } from "../../util/lazy-require.js";
import { trustedCas } from "../../util/extra-ca.js";
import { MydockerError } from "../../util/errors.js";

/** What a connection to one registry trusts and presents. */
export interface TlsSettings {
  /** Extra CA certificates (PEM), trusted besides the system's. */
  ca?: string[];
  cert?: string;
  key?: string;
  /** false: HTTPS without checking the certificate (--tls-verify=false, insecure-registries). */
  verify: boolean;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  /** A header's value, its name in any case. */
  header(name: string): string | undefined;
  body: AsyncIterable<Buffer>;
  /** The body, refused once it passes limit bytes (a registry is untrusted). */
  bytes(limit: number, what: string): Promise<Buffer>;
  /** Reads and drops the body so the connection can be reused. */
  discard(): Promise<void>;
  /** The URL that answered, after redirects. */
  url: string;
}

export interface HttpRequest {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer | AsyncIterable<Buffer>;
  tls?: TlsSettings;
  /** Aborting it ends the request and its response's body (the command was interrupted). */
  signal?: AbortSignal;
}

/** How many redirects a GET or HEAD follows (blob storage often redirects once). */
const MaxRedirects = 5;

/** Certificate errors, as opposed to a server that does not speak TLS at all. */
const certificateErrors = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export function isCertificateError(e: unknown): boolean {
  return certificateErrors.has((e as NodeJS.ErrnoException | undefined)?.code ?? "");
}

const agents = new Map<string, HttpsAgent>();
let plainAgent: HttpAgent | undefined;

function agentFor(url: URL, settings: TlsSettings | undefined): HttpAgent | HttpsAgent {
  if (url.protocol === "http:") return (plainAgent ??= new (http().Agent)({ keepAlive: true }));
  const key = JSON.stringify(settings ?? {});
  let agent = agents.get(key);
  if (!agent) {
    agent = new (https().Agent)({
      keepAlive: true,
      rejectUnauthorized: settings?.verify ?? true,
      // A registry's CAs join node's roots and the caller's extra CAs rather than replace them.
      ca: trustedCas(settings?.ca),
      cert: settings?.cert,
      key: settings?.key,
    });
    agents.set(key, agent);
  }
  return agent;
}

/** Closes every connection kept open to registries (a command that is done must not wait on them). */
export function closeConnections(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
  plainAgent?.destroy();
  plainAgent = undefined;
}

function wrap(res: IncomingMessage, url: string): HttpResponse {
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? "",
    url,
    header: (name) => {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(", ") : v;
    },
    body: res as AsyncIterable<Buffer>,
    async bytes(limit, what) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) {
          res.destroy();
          throw new MydockerError("registry_error", `${what} is more than ${limit} bytes (${limit >> 20} MiB), the most it may have`);
        }
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    },
    async discard() {
      res.resume();
      if (!res.complete) await new Promise((resolve) => res.once("close", resolve));
    },
  };
}

function once(url: URL, req: HttpRequest): Promise<IncomingMessage> {
  const mod = url.protocol === "https:" ? https() : http();
  return new Promise((resolve, reject) => {
    const r = mod.request(url, { method: req.method, headers: req.headers, agent: agentFor(url, req.tls), signal: req.signal }, resolve);
    r.on("error", reject);
    const body = req.body;
    if (body === undefined) r.end();
    else if (Buffer.isBuffer(body)) r.end(body);
    else {
      void (async () => {
        try {
          for await (const chunk of body) {
            if (!r.write(chunk)) await new Promise((drained) => r.once("drain", drained));
          }
          r.end();
        } catch (e) {
          r.destroy(e as Error);
        }
      })();
    }
  });
}

/**
 * One request; a GET or HEAD follows redirects (credentials are not sent to another host).
 * Connection errors are thrown as Node reports them (the caller decides on fallbacks).
 */
export async function request(target: string, req: HttpRequest): Promise<HttpResponse> {
  let url = new URL(target);
  const origin = url.host;
  for (let hops = 0; ; hops++) {
    const headers = { ...req.headers };
    if (url.host !== origin) delete headers.Authorization;
    const res = await once(url, { ...req, headers });
    const location = res.headers.location;
    const redirect = res.statusCode !== undefined && [301, 302, 303, 307, 308].includes(res.statusCode) && location !== undefined;
    if (!redirect || (req.method !== "GET" && req.method !== "HEAD")) return wrap(res, url.toString());
    res.resume();
    if (hops === MaxRedirects) throw new MydockerError("registry_error", `${target}: more than ${MaxRedirects} redirects`);
    url = new URL(location, url);
  }
}
