// Node built-ins that only some commands need, loaded on first use: importing node:crypto
// or node:zlib up front costs every command ~1-2 ms each before it does anything, and a
// `run` of an existing image uses neither.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function lazy<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(id) as T);
}

export const crypto = lazy<typeof import("node:crypto")>("node:crypto");
export const zlib = lazy<typeof import("node:zlib")>("node:zlib");
export const http = lazy<typeof import("node:http")>("node:http");
export const https = lazy<typeof import("node:https")>("node:https");
export const tls = lazy<typeof import("node:tls")>("node:tls");
