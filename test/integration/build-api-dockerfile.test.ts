// POST /build's dockerfile= is untrusted: it names a file inside the context the request
// sent, as docker's daemon takes it, never a host file (an absolute path read the host's
// file, and the parse error showed its first line). The CLI's -f with a context on stdin too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { BIN, mydocker } from "../helpers/cli.js";
import { servedSuite, type Served } from "../helpers/serve.js";

const { skip, served } = servedSuite({ dockerCli: false });

/** POST /build with a tar body: the stream's lines, parsed. */
function postBuild(s: Served, query: string, tar: Buffer): Promise<{ error?: string; aux?: { ID: string } }[]> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: s.socket, method: "POST", path: `/build?${query}`, headers: { "Content-Type": "application/x-tar", "Content-Length": tar.length } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c));
      res.on("end", () => resolve(text.split("\n").filter(Boolean).map((l) => JSON.parse(l))));
    });
    req.on("error", reject);
    req.end(tar);
  });
}

test("dockerfile= in POST /build and -f with build - name files inside the context, never the host's", { skip }, async () => {
  const s = served();
  const base = path.dirname(s.roots.root);
  const secret = path.join(base, "host-secret");
  fs.writeFileSync(secret, "TOPSECRET-LINE\n");
  const ctx = path.join(base, "ctx");
  fs.mkdirSync(path.join(ctx, "sub"), { recursive: true });
  fs.writeFileSync(path.join(ctx, "sub", "Dockerfile.x"), 'FROM busybox\nCMD ["echo", "from the context"]\n');
  const tar = spawnSync("tar", ["-c", "-f", "-", "-C", ctx, "."]).stdout;

  for (const name of [secret, `../../../../../../..${secret}`]) {
    const lines = await postBuild(s, `dockerfile=${encodeURIComponent(name)}`, tar);
    const error = lines.find((l) => l.error)?.error ?? "";
    assert.match(error, /failed to read dockerfile: open .*: no such file or directory/, name);
    assert.doesNotMatch(JSON.stringify(lines), /TOPSECRET/i, "nothing of the host's file");
  }
  // Absolute or relative, the name is the context's own file.
  for (const name of ["sub/Dockerfile.x", "/sub/Dockerfile.x"]) {
    const lines = await postBuild(s, `dockerfile=${encodeURIComponent(name)}&t=local/api-df`, tar);
    assert.ok(lines.some((l) => l.aux?.ID), `${name}: ${JSON.stringify(lines)}`);
  }
  const run = mydocker(s.roots, ["run", "--rm", "--network", "none", "local/api-df"]);
  assert.equal(run.stdout, "from the context\n", run.stderr);

  // mydocker build -f with the context on stdin: the -f file is the tar's, not the caller's directory's.
  const cli = spawnSync(BIN, ["build", "-q", "-f", "sub/Dockerfile.x", "-"], { input: tar, env: s.roots.env, cwd: base, encoding: "utf8" });
  assert.equal(cli.status, 0, cli.stderr);
});
