// The list endpoints' filters through `mydocker serve`, as dockerd reads them: a bad value or
// an unknown key is a 400 in dockerd's words (the docker CLI prints them), and the filters
// that are given select what dockerd would (images: dangling, reference, label; networks:
// dangling never names a predefined network, values of one key are alternatives). A prune
// acts on until, label and label! as dockerd's does, and a bad one removes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, docker, servedSuite } from "../helpers/serve.js";

let untagged = "";
const { skip, served: s } = servedSuite({
  setup: (sv) => {
    const made = docker(sv, ["create", "--name", "lf", "--network", "none", "busybox", "true"]);
    if (made.status !== 0) throw new Error(`docker create: ${made.stderr}`);
    // A commit without a name: an image with no tag, that no container uses (dangling).
    const committed = docker(sv, ["commit", "lf"]);
    if (committed.status !== 0) throw new Error(`docker commit: ${committed.stderr}`);
    untagged = committed.stdout.trim();
  },
  cleanup: (sv) => {
    docker(sv, ["rm", "-f", "lf", "lf-gone", "lf-kept"]);
    docker(sv, ["network", "rm", "lfa", "lfb", "lfc"]);
  },
});
const d = (...args: string[]) => docker(s(), args);
const filters = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));

test("a bad filter value or an unknown filter key on any list: 400 in dockerd's words", { skip }, async () => {
  const refused: [string, string][] = [
    [`/images/json?filters=${filters({ dangling: ["maybe"] })}`, "invalid filter 'dangling=maybe'"],
    [`/images/json?filters=${filters({ dangling: ["true", "false"] })}`, "invalid filter 'dangling=true,false'"],
    [`/images/json?filters=${filters({ colour: ["red"] })}`, "invalid filter 'colour'"],
    [`/containers/json?filters=${filters({ colour: ["red"] })}`, "invalid filter 'colour'"],
    [`/networks?filters=${filters({ dangling: ["maybe"] })}`, `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`],
    [`/networks?filters=${filters({ dangling: ["1", "true"] })}`, `got more than one value for filter key "dangling"`],
    [`/networks?filters=${filters({ colour: ["red"] })}`, "invalid filter 'colour'"],
    [`/volumes?filters=${filters({ dangling: ["maybe"] })}`, "invalid filter 'dangling=maybe'"],
    [`/volumes?filters=${filters({ colour: ["red"] })}`, "invalid filter 'colour'"],
  ];
  for (const [path, message] of refused) {
    const r = await api(s(), "GET", `/v1.47${path}`);
    assert.equal(r.status, 400, path);
    assert.equal(r.body.message, message, path);
  }
  const status = await api(s(), "GET", `/v1.47/containers/json?filters=${filters({ status: ["maybe"] })}`);
  assert.equal(status.status, 400);
  assert.match(status.body.message, /^invalid filter 'status=maybe'/);
  const cli = d("images", "-f", "dangling=maybe");
  assert.equal(cli.status, 1);
  assert.equal(cli.stderr.trim(), "Error response from daemon: invalid filter 'dangling=maybe'");
});

test("docker images: a dangling image is listed as dockerd lists it, and dangling, reference and label select", { skip }, () => {
  const ids = (...args: string[]) => d("images", "-q", "--no-trunc", ...args).stdout.split("\n").filter(Boolean).sort();
  const busybox = d("image", "inspect", "-f", "{{.Id}}", "busybox").stdout.trim();
  assert.deepEqual(ids(), [busybox, untagged].sort(), "without filters, the untagged image is listed too");
  assert.ok(d("images").stdout.includes("<none>"));
  for (const yes of ["true", "1", "True"]) assert.deepEqual(ids("-f", `dangling=${yes}`), [untagged], `dangling=${yes}`);
  assert.deepEqual(ids("-f", "dangling=false"), [busybox]);
  assert.deepEqual(ids("-f", "reference=busy*"), [busybox]);
  assert.deepEqual(ids("-f", "reference=nothing-here"), []);
  assert.deepEqual(ids("-f", "label=constructor"), [], "a label no image has, even one named like an object's property");
});

test("docker network ls: dangling never names a predefined network; values of one key are alternatives", { skip }, () => {
  assert.equal(d("network", "create", "lfa").status, 0);
  assert.equal(d("network", "create", "lfb").status, 0);
  const names = (...args: string[]) => d("network", "ls", "--format", "{{.Name}}", ...args).stdout.split("\n").filter(Boolean).sort();
  assert.deepEqual(names("-f", "dangling=true"), ["lfa", "lfb"]);
  assert.deepEqual(names("-f", "dangling=false"), ["bridge", "host", "none"]);
  assert.deepEqual(names("-f", "name=lfa", "-f", "name=lfb"), ["lfa", "lfb"]);
  assert.deepEqual(names("-f", "name=^lf"), ["lfa", "lfb"], "a name filter is a regular expression, as dockerd's");
  const bad = d("network", "ls", "-f", "dangling=maybe");
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /invalid value for filter 'dangling'/);
});

test("prunes act on until, label and label! as dockerd's, and refuse a bad filter before removing anything", { skip }, async () => {
  for (const [path, message] of [
    [`/images/prune?filters=${filters({ dangling: ["maybe"] })}`, "invalid filter 'dangling=maybe'"],
    [`/images/prune?filters=${filters({ colour: ["red"] })}`, "invalid filter 'colour'"],
    [`/containers/prune?filters=${filters({ colour: ["red"] })}`, "invalid filter 'colour'"],
    [`/networks/prune?filters=${filters({ until: ["1h", "2h"] })}`, "more than one until filter specified"],
  ]) {
    const r = await api(s(), "POST", `/v1.47${path}`);
    assert.equal(r.status, 400, path);
    assert.equal(r.body.message, message, path);
  }
  const build = await api(s(), "POST", `/v1.47/build/prune?filters=${filters({ until: ["24h"] })}`);
  assert.equal(build.status, 400, "the build cache prune refuses a filter it cannot act on");
  assert.equal(build.body.message, "the build cache prune takes no filters (until): nothing was removed; prune without them");
  const badTime = await api(s(), "POST", `/v1.47/containers/prune?filters=${filters({ until: ["someday"] })}`);
  assert.equal(badTime.status, 400, JSON.stringify(badTime.body));
  const ok = (...args: string[]) => {
    const r = d(...args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  // Everything here was made within the hour: until=1h (made before an hour ago) removes none of it.
  ok("image", "prune", "-a", "-f", "--filter", "until=1h");
  ok("container", "prune", "-f", "--filter", "until=1h");
  ok("image", "prune", "-a", "-f", "--filter", "label=nobody-has-it");
  assert.equal(d("image", "inspect", untagged).status, 0, "until and label kept the untagged image");
  assert.equal(d("image", "inspect", "busybox").status, 0);
  assert.equal(d("container", "inspect", "lf").status, 0);
  // label= removes only what carries it; label!= only what does not.
  ok("create", "--name", "lf-gone", "--label", "gone=1", "busybox", "true");
  ok("create", "--name", "lf-kept", "--label", "keep=1", "busybox", "true");
  ok("network", "create", "--label", "gone=1", "lfc");
  ok("container", "prune", "-f", "--filter", "label=gone");
  assert.notEqual(d("container", "inspect", "lf-gone").status, 0, "the labelled container was pruned");
  assert.equal(d("container", "inspect", "lf").status, 0, "an unlabelled one was not");
  ok("network", "prune", "-f", "--filter", "label=gone=1");
  assert.notEqual(d("network", "inspect", "lfc").status, 0, "the labelled network was pruned");
  assert.equal(d("network", "inspect", "lfa").status, 0, "an unlabelled one was not");
  ok("container", "prune", "-f", "--filter", "label!=keep");
  assert.equal(d("container", "inspect", "lf-kept").status, 0, "label!= kept the container that carries it");
  assert.notEqual(d("container", "inspect", "lf").status, 0, "and pruned the one that does not");
  ok("rm", "lf-kept");
  ok("image", "prune", "-f", "--filter", "dangling=true");
  assert.notEqual(d("image", "inspect", untagged).status, 0, "the dangling image was pruned");
  assert.equal(d("image", "inspect", "busybox").status, 0, "a tagged image was not");
});
