// run and create pull a missing image from its registry (docker's --pull missing), and
// --pull always / never, against docker-registry on loopback.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { NOT_ROOT, isRoot, mydocker, tempRoots, type Roots } from "../helpers/cli.js";
import { startRegistry, type Registry } from "../helpers/registry.js";
import { have } from "./image-helpers.js";
import path from "node:path";

const skip = !isRoot() ? NOT_ROOT : !have("docker-registry") ? "needs docker-registry (apt-get install docker-registry)" : false;

let pusher: Roots;
let runner: Roots;
let registry: Registry;

before(async () => {
  if (skip) return;
  pusher = tempRoots("mydocker-pull-a-");
  runner = tempRoots("mydocker-pull-b-");
  registry = await startRegistry(path.join(path.dirname(pusher.root), "registry"));
});

after(() => {
  if (skip) return;
  registry?.stop();
  pusher?.cleanup();
  runner?.cleanup();
});

function publish(ref: string, marker: string): void {
  const made = mydocker(pusher, ["run", "--name", `m-${marker}`, "busybox", "sh", "-c", `echo ${marker} > /marker`]);
  assert.equal(made.status, 0, made.stderr);
  assert.equal(mydocker(pusher, ["commit", `m-${marker}`, ref]).status, 0);
  const pushed = mydocker(pusher, ["push", ref]);
  assert.equal(pushed.status, 0, pushed.stderr);
}

test("run pulls a missing image and runs it; --pull never refuses; --pull always takes the registry's newer image", { skip }, () => {
  const ref = `${registry.host}/lib/app:1`;
  publish(ref, "one");

  const never = mydocker(runner, ["run", "--rm", "--pull", "never", ref, "cat", "/marker"]);
  assert.equal(never.status, 125);
  assert.match(never.stderr, /No such image/);

  const first = mydocker(runner, ["run", "--rm", ref, "cat", "/marker"]);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, "one\n");
  assert.match(first.stderr, new RegExp(`Unable to find image '${ref}' locally`));
  assert.match(first.stderr, /: Pull complete/);
  assert.match(first.stderr, /Status: Downloaded newer image for/);

  // Present now: no pull, no notice.
  const second = mydocker(runner, ["run", "--rm", ref, "cat", "/marker"]);
  assert.equal(second.stdout, "one\n");
  assert.doesNotMatch(second.stderr, /Unable to find image/);

  publish(ref, "two");
  const stale = mydocker(runner, ["run", "--rm", ref, "cat", "/marker"]);
  assert.equal(stale.stdout, "one\n", "missing (the default) keeps the image it has");
  const fresh = mydocker(runner, ["run", "--rm", "--pull", "always", ref, "cat", "/marker"]);
  assert.equal(fresh.status, 0, fresh.stderr);
  assert.equal(fresh.stdout, "two\n");
  assert.match(fresh.stderr, /Already exists/, "the layer both images share is not fetched again");
});

test("create pulls too, and a bad --pull value is refused", { skip }, () => {
  const ref = `${registry.host}/lib/created:1`;
  publish(ref, "created");
  const bad = mydocker(runner, ["create", "--pull", "sometimes", ref]);
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /invalid pull option: 'sometimes'/);
  const created = mydocker(runner, ["create", ref, "cat", "/marker"]);
  assert.equal(created.status, 0, created.stderr);
  const started = mydocker(runner, ["start", "-a", created.stdout.trim()]);
  assert.equal(started.stdout, "created\n");
  const missing = mydocker(runner, ["create", `${registry.host}/lib/absent:1`]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /manifest for .*absent:1.*(MANIFEST_UNKNOWN|NAME_UNKNOWN|not found)/i);
});
