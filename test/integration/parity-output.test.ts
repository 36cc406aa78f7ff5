// docker parity of what image and system commands print (issue 16, defect 12): each line
// once, the names docker names, history's CREATED BY, system df's sizes and -v.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
const suite = cliSuite();
const md = suite.md;
const haveRegistry = spawnSync("sh", ["-c", "command -v docker-registry"]).status === 0;

let work = "";
before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-output-"));
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

test("load prints each loaded name once, on stdout, and only the archive's names", { skip }, () => {
  const archive = path.join(work, "bb.tar");
  assert.equal(md("save", "-o", archive, "busybox").status, 0);
  assert.equal(md("tag", "busybox", "another/name:2").status, 0);
  const r = md("load", "-i", archive);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "Loaded image: busybox:latest\n");
  assert.doesNotMatch(r.stderr, /Loaded image/);
  md("rmi", "another/name:2");
});

test("history: commit records the container's command as CREATED BY, import docker's comment", { skip }, () => {
  const id = md("run", "-d", "busybox", "sh", "-c", "echo made > /made").stdout.trim();
  md("wait", id);
  assert.equal(md("commit", id, "committed:1").status, 0);
  const h = md("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", "committed:1");
  assert.equal(h.stdout.split("\n")[0], "sh -c echo made > /made|");
  const tar = path.join(work, "rootfs.tar");
  assert.equal(md("export", "-o", tar, id).status, 0);
  const imp = md("import", tar, "imported:1");
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stdout, /^sha256:[0-9a-f]{64}\n$/, "import prints the id once");
  assert.equal(md("history", "--format", "{{.Comment}}", "imported:1").stdout, `Imported from ${tar}\n`);
  md("rm", id);
  md("rmi", "committed:1", "imported:1");
});

test("system df: sizes and reclaimable space of images, containers and volumes; -v lists each", { skip }, () => {
  const id = md("run", "-v", "dfvol:/data", "busybox", "sh", "-c", "head -c 200000 /dev/zero > /big; echo x > /data/f").stdout.trim();
  const r = md("system", "df", "--format", "{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}");
  assert.equal(r.status, 0, r.stderr);
  const rows = Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.split("|")[0], l.split("|").slice(1)]));
  assert.match(rows.Containers![2]!, /^2\d\d(\.\d+)?kB$/, "the stopped container's writable layer is counted");
  assert.match(rows.Containers![3]!, /\(100%\)$/, "a stopped container's layer is reclaimable");
  assert.deepEqual(rows["Local Volumes"]!.slice(0, 2), ["1", "1"]);
  assert.match(rows.Images![3]!, /\(0%\)$/, "an image a container uses is not reclaimable");
  const v = md("system", "df", "-v");
  assert.match(v.stdout, /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\n/);
  assert.match(v.stdout, /\nContainers space usage:\n\nCONTAINER ID +IMAGE +COMMAND +LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES\n/);
  assert.match(v.stdout, /\nLocal Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\ndfvol +1 +/);
  md("rm", "-v", id);
  md("volume", "rm", "dfvol");
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

test("pull -q prints the reference pulled; push and pull print their last lines once", { skip: skip || (!haveRegistry && "needs docker-registry (apt-get install docker-registry)") }, async (t) => {
  const host = `127.0.0.1:${await freePort()}`;
  const config = path.join(work, "registry.yml");
  fs.writeFileSync(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(work, "registry")}\nhttp:\n  addr: ${host}\nlog:\n  level: error\n`);
  const registry: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
  t.after(() => registry.kill());
  await waitFor(() => fetch(`http://${host}/v2/`).then((r) => r.ok, () => false), { what: "docker-registry to answer" });
  const ref = `${host}/parity/bb:1`;
  md("tag", "busybox", ref);
  const push = md("push", "--tls-verify=false", ref);
  assert.equal(push.status, 0, push.stderr);
  assert.equal((push.stdout + push.stderr).match(/digest: sha256:/g)?.length, 1, "the digest line once");
  const pull = md("pull", "-q", "--tls-verify=false", ref);
  assert.deepEqual([pull.status, pull.stdout, pull.stderr], [0, `${ref}\n`, ""]);
  const loud = md("pull", "--tls-verify=false", ref);
  assert.ok((loud.stdout + loud.stderr).match(/Status: /g)?.length === 1, loud.stdout + loud.stderr);
  md("rmi", ref);
});

test("rmi -f: refused for a running container's image; for a stopped one the names go and the image stays", { skip }, () => {
  const src = md("create", "busybox", "true").stdout.trim();
  assert.equal(md("commit", src, "rmif/app:1").status, 0, "an image of its own, with one name");
  md("rm", src);
  const id = md("run", "-d", "rmif/app:1", "sleep", "300").stdout.trim();
  try {
    const running = md("rmi", "-f", "rmif/app:1");
    assert.equal(running.status, 1);
    assert.match(running.stderr, /unable to delete [0-9a-f]{12} \(cannot be forced\) - image is being used by running container/);
    assert.equal(md("stop", "-t", "0", id).status, 0);
    const plain = md("rmi", "rmif/app:1");
    assert.match(plain.stderr, /\(must be forced\) - image is being used by stopped container/);
    const forced = md("rmi", "-f", "rmif/app:1");
    assert.deepEqual([forced.status, forced.stdout], [0, "Untagged: rmif/app:1\n"], forced.stderr);
    assert.equal(md("start", id).status, 0, "the container starts again: its image's layers were kept");
    assert.equal(md("exec", id, "echo", "alive").stdout, "alive\n");
  } finally {
    md("rm", "-f", id);
  }
});
