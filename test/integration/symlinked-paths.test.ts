// Paths that lead through an image's or a build context's own symlinks go where the links
// lead inside the container or the context (as docker does), never to the host's files.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { md, ok, roots } = cliSuite();

test("-w through the image's symlinks makes the directory where they lead, inside the container", { skip }, () => {
  const host = path.join(roots().root, "..", "host-dir");
  fs.mkdirSync(host, { recursive: true });
  // /var/run -> /run as Debian has it, a relative link, and a link naming a host directory.
  const made = ok("run", "-d", "busybox", "sh", "-c", `mkdir -p /run /var /lib && ln -s /run /var/run && ln -s lib /lib64 && ln -s ${host} /evil`);
  ok("wait", made);
  ok("commit", made, "local/links");
  ok("rm", made);
  for (const [workdir, lands] of [["/var/run/app", "/run/app"], ["/lib64/app", "/lib/app"], ["/evil/sub", `${host}/sub`]]) {
    const r = md("run", "--rm", "-w", workdir!, "local/links", "sh", "-c", `cd "$(pwd -P)" && pwd && test -d ${lands}`);
    assert.equal(r.status, 0, `-w ${workdir}: ${r.stderr}`);
    assert.equal(r.stdout, `${lands}\n`);
  }
  assert.deepEqual(fs.readdirSync(host), [], "the host's directory of the link's name is left alone");
});

test("COPY of a context symlink to a directory copies what the directory holds", { skip }, () => {
  const ctx = path.join(roots().root, "..", "ctx-links");
  fs.mkdirSync(path.join(ctx, "real", "deep"), { recursive: true });
  fs.writeFileSync(path.join(ctx, "real", "deep", "f"), "inside\n");
  fs.symlinkSync("real", path.join(ctx, "rel"));
  fs.symlinkSync("/real", path.join(ctx, "abs"));
  fs.writeFileSync(path.join(ctx, "Dockerfile"), "FROM busybox\nCOPY rel /r/\nCOPY abs /a\n");
  ok("build", "--network", "none", "-q", "-t", "local/ctx-links", ctx);
  assert.equal(ok("run", "--rm", "local/ctx-links", "cat", "/r/deep/f", "/a/deep/f"), "inside\ninside");
});
