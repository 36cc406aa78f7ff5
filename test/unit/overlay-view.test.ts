// The merged view of layer directories read through fds: symlinks are followed inside the
// view only, a walk never enters a symlinked directory, and every fd is closed however
// the reading ends (a consumer that stops early included).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { layerFromDir, mergedFromDirs } from "../../src/image/layer-tar.js";
import { readFileInView } from "../../src/image/overlay-view.js";
import { ensureLayeredDir } from "../../src/engine/image-files.js";
import type { TarEntry } from "../../src/image/tar/writer.js";

const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-view-"));
after(() => fs.rmSync(base, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>, links: Record<string, string> = {}): string {
  const root = path.join(base, name);
  fs.mkdirSync(root, { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  }
  for (const [p, target] of Object.entries(links)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.symlinkSync(target, path.join(root, p));
  }
  return root;
}

const openFds = () => fs.readdirSync("/proc/self/fd").length;

async function names(entries: AsyncIterable<TarEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of entries) {
    out.push(`${e.header.name}${e.header.type === "symlink" ? ` -> ${e.header.linkname}` : ""}`);
    if (e.body && !Buffer.isBuffer(e.body)) for await (const chunk of e.body) assert.ok(!chunk.includes("host secret"));
  }
  return out;
}

const host = tree("host", { "passwd": "hostonly:x:1:1::/:/bin/sh\n", "secret": "host secret" });

test("a file is read through symlinks inside the view (absolute, relative, .. past the root), never through the host's", () => {
  const lower = tree("v1-lower", { "etc/passwd.real": "img:x:7:7::/:/bin/sh\n" });
  const upper = tree("v1-upper", {}, {
    "etc/passwd": "/etc/passwd.real",
    "etc/rel": "../../../../../etc/passwd.real",
    "etc/host": `${host}/passwd`,
    "hostdir": host,
    "loop": "loop",
  });
  const before = openFds();
  const read = (p: string) => readFileInView([upper, lower], p, 1 << 20)?.toString();
  assert.equal(read("/etc/passwd"), "img:x:7:7::/:/bin/sh\n");
  assert.equal(read("/etc/rel"), "img:x:7:7::/:/bin/sh\n");
  assert.equal(read("/etc/host"), undefined);
  assert.equal(read("/hostdir/passwd"), undefined);
  assert.equal(read("/loop"), undefined);
  assert.equal(read("/etc"), undefined, "a directory is not a file");
  assert.equal(openFds(), before, "every fd closed");
});

test("a layer or an export never enters a directory that is a symlink to the host", async () => {
  const lower = tree("v2-lower", { "bin/sh": "sh" });
  const upper = tree("v2-upper", { "d/own": "mine" }, { "l": host, "d/up": host });
  const layer = await names(layerFromDir(upper));
  assert.deepEqual(layer.sort(), ["d/", "d/own", `d/up -> ${host}`, `l -> ${host}`]);
  const merged = await names(mergedFromDirs([upper, lower]));
  assert.deepEqual(merged.sort(), ["bin/", "bin/sh", "d/", "d/own", `d/up -> ${host}`, `l -> ${host}`]);
});

test("a consumer that stops early leaves no fd open", async () => {
  const lower = tree("v3-lower", { "a/b/c/file": "x".repeat(5000), "a/b/other": "y" });
  const upper = tree("v3-upper", { "a/b/c/top": "z".repeat(3000) });
  const before = openFds();
  for (const stopAt of [1, 3, 5]) {
    let n = 0;
    for await (const e of mergedFromDirs([upper, lower])) {
      if (e.body && !Buffer.isBuffer(e.body)) for await (const chunk of e.body) if (chunk.length > 0) break;
      if (++n === stopAt) break;
    }
  }
  assert.equal(openFds(), before);
});

test("a working directory is made in the container's own layer, never through a symlink", () => {
  const lower = tree("v4-lower", { "srv/keep": "" }, { "app": host });
  const upper = tree("v4-upper", {});
  ensureLayeredDir([upper, lower], "/srv/new/dir");
  assert.ok(fs.statSync(path.join(upper, "srv/new/dir")).isDirectory());
  ensureLayeredDir([upper, lower], "/app/sub");
  assert.equal(fs.existsSync(path.join(host, "sub")), false);
  assert.equal(fs.existsSync(path.join(upper, "app")), false);
});
