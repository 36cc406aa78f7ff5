// The CA certificates a caller has node trust besides its own roots (NODE_EXTRA_CA_CERTS).
// bin/front.sh moves that variable to MYDOCKER_EXTRA_CA_CERTS, so that node does not read
// the file at every start (~25 ms for a system bundle): it is read here, once, when a
// command makes its first TLS connection.
import fs from "node:fs";
import { tls } from "./lazy-require.js";

let extra: string[] | undefined;

/** The PEM text of the caller's extra CA file, if there is one; a file that cannot be read is passed over with node's warning. */
function extraCaCerts(): string[] {
  if (extra) return extra;
  const file = process.env["MYDOCKER_EXTRA_CA_CERTS"] || process.env["NODE_EXTRA_CA_CERTS"];
  extra = [];
  if (!file) return extra;
  try {
    extra = [fs.readFileSync(file, "utf8")];
  } catch (e) {
    process.stderr.write(`Warning: Ignoring extra certs from \`${file}\`, load failed: ${(e as Error).message}\n`);
  }
  return extra;
}

/**
 * The CAs a TLS connection trusts, as the `ca` of node's https and tls: node's own roots,
 * the caller's extra CAs, and `more` (a registry's certs.d). undefined when there is nothing
 * beyond node's roots: node's default, then.
 */
export function trustedCas(more: readonly string[] = []): string[] | undefined {
  const added = [...extraCaCerts(), ...more];
  return added.length ? [...tls().rootCertificates, ...added] : undefined;
}
