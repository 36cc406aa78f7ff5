// Host-wide subnet claims. Every engine root keeps its own networks, and netavark removes a
// bridge when its last container leaves, so neither the store nor the host's routes show a
// subnet another root's idle network holds. Each network claims its subnet with a file made
// O_EXCL in one directory for the whole host; a claim whose root was deleted is dead, and says
// what its root may have left on the host (its run root, the network as netavark knew it).
import fs from "node:fs";
import path from "node:path";
import { isErrno } from "../util/errors.js";
import { isSameProcess, processStartTime } from "../runtime/index.js";
import { formatCidr, overlaps, type Cidr } from "./ipam.js";
import type { NetavarkNetwork } from "./types.js";

const DIR = "/run/mydocker-subnets";

export interface Claim {
  /** The store that holds the network: the claim lapses when it is gone. */
  db: string;
  network: string;
  /** Where the root's runs are (their namespaces pinned under it). */
  runRoot?: string;
  /** The network as netavark is told of it (its bridge, subnet and name). */
  netavark?: NetavarkNetwork;
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
    // A dead claim is taken away by releaseDeadRoots (engine/networks), once its root's leftovers are.
    if (!live(claim) || (self && claim!.db === self.db && claim!.network === self.network)) continue;
    out.push(other);
  }
  return out;
}

/** Claims c for a network; false when a live claim of another network holds an overlapping subnet. */
export function claimSubnet(c: Cidr, claim: Claim): boolean {
  fs.mkdirSync(DIR, { recursive: true, mode: 0o755 });
  if (claimedOverlaps(c, claim).length > 0) return false;
  // A dead claim of c whose root's leftovers are being released: not free yet.
  if (fs.readdirSync(DIR).some((n) => n.startsWith(`${path.basename(fileOf(c))}.sweep.`))) return false;
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

/** Adds to a network's own claim what a sweep needs should its root be deleted. */
export function describeClaim(c: Cidr, claim: Claim): void {
  const file = fileOf(c);
  const held = read(file);
  if (!held || held.db !== claim.db || held.network !== claim.network) return;
  fs.writeFileSync(`${file}.new`, JSON.stringify(claim), { mode: 0o644 });
  fs.renameSync(`${file}.new`, file);
}

/** A dead claim taken by this process, to release what its root left; `done` drops it. */
export interface DeadClaim {
  claim: Claim;
  done(): void;
  /** Puts it back for a later sweep (its root's leftovers are still in use). */
  later(): void;
}

/**
 * The claims whose store is gone, each taken by renaming it to a name that says which process
 * has it: two sweeps never release one root at once, and one killed half way leaves its
 * claims to the next.
 */
export function takeDeadClaims(): DeadClaim[] {
  let names: string[];
  try {
    names = fs.readdirSync(DIR);
  } catch {
    return [];
  }
  const me = `${process.pid}.${processStartTime(process.pid) ?? "0"}`;
  const out: DeadClaim[] = [];
  for (const name of names) {
    const m = /^(.*)\.sweep\.(\d+)\.(\d+)$/.exec(name);
    if (m ? isSameProcess(Number(m[2]), m[3]!) : !parseName(name)) continue;
    const claim = read(path.join(DIR, name));
    if (!claim || live(claim)) continue;
    const base = m ? m[1]! : name;
    const taken = path.join(DIR, `${base}.sweep.${me}`);
    try {
      fs.renameSync(path.join(DIR, name), taken);
    } catch {
      continue;
    }
    out.push({
      claim,
      done: () => fs.rmSync(taken, { force: true }),
      later: () => fs.renameSync(taken, path.join(DIR, base)),
    });
  }
  return out;
}

/** Drops a network's claim (only its own). */
export function releaseSubnet(c: Cidr, claim: Claim): void {
  const file = fileOf(c);
  const held = read(file);
  if (held && held.db === claim.db && held.network === claim.network) fs.rmSync(file, { force: true });
}
