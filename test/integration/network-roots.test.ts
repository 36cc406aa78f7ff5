// Engine roots side by side on one host, as tests and benchmarks run them: each root's
// networks keep firewall rules of their own, and a root deleted without `network prune`
// (its pool's namespaces still pinned under it) has what it left on the host released by the
// next command of another root. Real netavark and iptables; no traffic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isRoot, mountsUnder, mydocker, NOT_ROOT, tempRoots, waitFor, type Roots } from "../helpers/cli.js";

const NETAVARK = "/usr/lib/podman/netavark";
const skip = !isRoot() ? NOT_ROOT : !fs.existsSync(NETAVARK) ? "netavark is not installed (apt-get install netavark aardvark-dns)" : false;

function ok(roots: Roots, ...args: string[]): string {
  const r = mydocker(roots, args);
  assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

function bridgeOf(roots: Roots): { name: string; subnet: string } {
  const n = JSON.parse(ok(roots, "network", "inspect", "bridge"))[0];
  return { name: n.Options["com.docker.network.bridge.name"], subnet: n.IPAM.Config[0].Subnet };
}

/** The nat rules that masquerade a subnet's traffic: the chain POSTROUTING sends it to, and that chain's MASQUERADE. */
function masquerades(subnet: string): boolean {
  const nat = execFileSync("iptables", ["-t", "nat", "-S"], { encoding: "utf8" }).split("\n");
  const chain = nat.map((l) => new RegExp(`^-A POSTROUTING -s ${subnet.replace(/\./g, "\\.")} -j (\\S+)`).exec(l)?.[1]).find(Boolean);
  return chain !== undefined && nat.some((l) => l.startsWith(`-A ${chain} `) && l.includes("-j MASQUERADE"));
}

const poolReady = (roots: Roots) => () => {
  const dir = path.join(roots.runRoot, ".net-pool");
  return fs.existsSync(dir) && fs.readdirSync(dir).filter((n) => /^\d+-\d+-\d+-\d+$/.test(n)).length === 2;
};

test("one root's default bridge going away leaves another root's masquerade in place", { skip }, async (t) => {
  const a = tempRoots();
  const b = tempRoots();
  t.after(() => {
    a.cleanup();
    b.cleanup();
  });
  const id = ok(a, "run", "-d", "busybox", "sleep", "120");
  const { subnet } = bridgeOf(a);
  assert.ok(masquerades(subnet), `root A's subnet ${subnet} is masqueraded while its container runs`);
  ok(b, "run", "--rm", "busybox", "true");
  await waitFor(poolReady(b), { what: "root B's pool" });
  // Root B's bridge loses its last interface: netavark takes its network's rules away.
  ok(b, "network", "prune", "-f");
  assert.ok(!fs.existsSync(`/sys/class/net/${bridgeOf(b).name}`));
  assert.ok(masquerades(subnet), `root A's subnet ${subnet} is still masqueraded`);
  ok(a, "rm", "-f", id);
});

test("a root deleted without network prune: the next command of another root releases its namespaces, bridge and rules", { skip }, async (t) => {
  const gone = tempRoots();
  const other = tempRoots();
  t.after(() => {
    gone.cleanup();
    other.cleanup();
  });
  ok(gone, "run", "--rm", "busybox", "true");
  await waitFor(poolReady(gone), { what: "the deleted root's pool" });
  const { name, subnet } = bridgeOf(gone);
  const base = path.dirname(gone.root);
  assert.equal(mountsUnder(base).length, 2, "the pool's two namespaces are pinned under the root");
  // As a user would: rm -rf deletes all but the mounted namespaces (and says so).
  assert.notEqual(spawnSync("rm", ["-rf", gone.root, gone.runRoot]).status, 0);
  assert.ok(!fs.existsSync(path.join(gone.root, "mydocker.db")));

  // Whichever command of the host finds the dead root first releases it (another root's may
  // have it in hand): the other root's ps, until it is done.
  await waitFor(
    () => {
      ok(other, "ps", "-a");
      return mountsUnder(base).length === 0 && !fs.existsSync(`/sys/class/net/${name}`);
    },
    { what: "the deleted root's namespaces and bridge to be released", intervalMs: 200 },
  );
  const prefix = subnet.split("/")[0]!.replace(/\.0$/, ".");
  assert.deepEqual(execFileSync("iptables-save", { encoding: "utf8" }).split("\n").filter((l) => l.includes(prefix)), [], "no rule of its subnet is left");
  assert.ok(!fs.existsSync(gone.runRoot), "its run root, which rm -rf could not remove, is gone");
  // Its subnet is free again: a network made on it is refused for no one else's claim.
  ok(other, "network", "create", "--subnet", subnet, "mdk-t-reclaimed");
  ok(other, "network", "rm", "mdk-t-reclaimed");
});

test("a deleted root's path made again by another user does not lead the sweep to a mount of its choosing", { skip }, async (t) => {
  const other = tempRoots();
  // The victim: a mount this test owns, which a symlink where a namespace was would name.
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-test-victim-"));
  const victim = path.join(base, "victim");
  fs.mkdirSync(victim);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "mydocker-test-victim", victim]);
  // The dead root's run root, made again by nobody, with a "pool entry" whose ns is a symlink.
  const runRoot = path.join(base, "run");
  const entry = path.join(runRoot, ".net-pool", "10-249-249-2");
  fs.mkdirSync(entry, { recursive: true });
  fs.symlinkSync(victim, path.join(entry, "ns"));
  execFileSync("chown", ["-R", "-h", "65534:65534", runRoot]);
  const id = "d".repeat(64);
  const claim = "/run/mydocker-subnets/10.249.249.0_24";
  fs.mkdirSync(path.dirname(claim), { recursive: true });
  fs.writeFileSync(
    claim,
    JSON.stringify({
      db: path.join(base, "gone", "mydocker.db"),
      network: id,
      runRoot,
      netavark: { name: `mydocker-${id.slice(0, 12)}`, id, driver: "bridge", network_interface: "mdkvictimtest", subnets: [{ subnet: "10.249.249.0/24", gateway: "10.249.249.1" }], ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: { driver: "host-local" } },
    }),
  );
  t.after(() => {
    spawnSync("umount", [victim]);
    for (const f of fs.readdirSync(path.dirname(claim)).filter((n) => n.startsWith("10.249.249.0_24"))) fs.rmSync(path.join(path.dirname(claim), f), { force: true });
    fs.rmSync(base, { recursive: true, force: true });
    other.cleanup();
  });
  await waitFor(
    () => {
      ok(other, "ps", "-a");
      return !fs.readdirSync(path.dirname(claim)).some((n) => n.startsWith("10.249.249.0_24"));
    },
    { what: "a sweep to take the dead claim", intervalMs: 200 },
  );
  assert.deepEqual(mountsUnder(victim), [victim], "the mount the symlink named is still there");
});
