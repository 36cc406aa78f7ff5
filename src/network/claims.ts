// Host-wide subnet claims. Every engine root keeps its own networks, and netavark removes a
// bridge when its last container leaves, so neither the store nor the host's routes show a
// subnet another root's idle network holds. Each network claims its subnet with a file made
// O_EXCL in one directory for the whole host; a claim whose root was deleted is stale.
import fs from "node:fs";
import path from "node:path";
import { isErrno } from "../util/errors.js";
import { formatCidr, overlaps, type Cidr } from "./ipam.js";

const DIR = "/run/mydocker-subnets";

interface Claim {
  /** The store that holds the network: the claim lapses when it is gone. */
  db: string;
  network: string;
}

function fileOf(c: Cidr): string {
  return path.join(DIR, formatCidr(c).replace("/", "_"));
}

function parseName(name: string): Cidr | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)_(\d+)$/.exec(name);
  if (!m) return undefined;
  const n = m.slice(1, 5).map(Number);
  return { base: (((n[0]! << 24) | (n[1]! << 16) | (n[2]! << 8) | n[3]!) >>> 0), prefix: Number(m[5]) };
}

function read(file: string): Claim | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Claim;
  } catch {
    return undefined;
  }
}

function live(claim: Claim | undefined): boolean {
  return claim !== undefined && fs.existsSync(claim.db);
}

/** The live claims of other networks that overlap c. */
export function claimedOverlaps(c: Cidr, self?: Claim): Cidr[] {
  let names: string[];
  try {
    names = fs.readdirSync(DIR);
  } catch {
    return [];
  }
  const out: Cidr[] = [];
  for (const name of names) {
    const other = parseName(name);
    if (!other || !overlaps(c, other)) continue;
    const claim = read(path.join(DIR, name));
    // A whole claim whose store is gone (its root deleted) is swept, so none pile up.
    if (claim && !live(claim)) fs.rmSync(path.join(DIR, name), { force: true });
    if (!live(claim) || (self && claim!.db === self.db && claim!.network === self.network)) continue;
    out.push(other);
  }
  return out;
}

/** Claims c for a network; false when a live claim of another network holds an overlapping subnet. */
export function claimSubnet(c: Cidr, claim: Claim): boolean {
  fs.mkdirSync(DIR, { recursive: true, mode: 0o755 });
  if (claimedOverlaps(c, claim).length > 0) return false;
  const file = fileOf(c);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(claim), { flag: "wx", mode: 0o644 });
      return true;
    } catch (e) {
      if (!isErrno(e, "EEXIST")) throw e;
      const held = read(file);
      if (held && held.db === claim.db && held.network === claim.network) return true;
      if (live(held)) return false;
      fs.rmSync(file, { force: true });
    }
  }
  return false;
}

/** Drops a network's claim (only its own). */
export function releaseSubnet(c: Cidr, claim: Claim): void {
  const file = fileOf(c);
  const held = read(file);
  if (held && held.db === claim.db && held.network === claim.network) fs.rmSync(file, { force: true });
}
