// How a container's overlay is mounted: one mount(2) while its options fit in a page, the
// overlay record (lowerdir+) for deeper images on Linux 6.8+, short links before that.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MaxMountData, kernelVersion, overlayMount, useLowerdirPlus } from "../../src/engine/containers/overlay-mount.js";
import { encodePlan } from "../../src/runtime/plan.js";
import { filesOnlySteps } from "../../src/runtime/compile-rootfs.js";
import { defaultSpec } from "../../src/runtime/defaults.js";

const layer = (i: number) => `/var/lib/mydocker/image/layers/${i.toString(16).padStart(64, "0")}`;
const layers = (n: number) => ({ upper: "/c/upper", work: "/c/work", lower: Array.from({ length: n }, (_, i) => layer(i)) });
const noLinks = () => assert.fail("short links are only for deep images on old kernels");

test("a shallow image is one mount(2) with lowerdir=, on any kernel", () => {
  const m = overlayMount(layers(3), false, noLinks);
  assert.deepEqual(m, { source: "overlay", fstype: "overlay", data: `lowerdir=${layer(0)}:${layer(1)}:${layer(2)},upperdir=/c/upper,workdir=/c/work` });
});

test("a deep image uses lowerdir+ on Linux 6.8 and later, short links before", () => {
  const deep = layers(128);
  assert.ok(`lowerdir=${deep.lower.join(":")}`.length > MaxMountData);
  assert.deepEqual(overlayMount(deep, true, noLinks), deep);
  assert.equal(useLowerdirPlus([6, 8], {}), true);
  assert.equal(useLowerdirPlus([7, 0], {}), true);
  assert.equal(useLowerdirPlus([6, 1], {}), false);
  assert.equal(useLowerdirPlus([6, 8], { MYDOCKER_OVERLAY_SHORT_LINKS: "1" }), false, "the fallback can be asked for");
  const links = { cwd: "/var/lib/mydocker/image/layers", lower: deep.lower.map((_, i) => `l/${i.toString(16).padStart(16, "0")}`) };
  const old = overlayMount(deep, false, () => links);
  assert.ok("data" in old && old.data.length <= MaxMountData, "the short names fit in a page");
  assert.equal("cwd" in old && old.cwd, links.cwd);
  assert.match("data" in old ? old.data : "", /^lowerdir=l\/0{16}:l\/0{15}1:/);
});

test("the plan runs the overlay record, or the mount from the links' directory", () => {
  const spec = defaultSpec();
  const steps = (rootfsMount: Parameters<typeof filesOnlySteps>[1]["rootfsMount"]) =>
    filesOnlySteps(spec, { root: "/c/root", bundle: "/", rootfsMount, sourceKind: () => "dir" });
  const deep = layers(128);
  const withOverlay = steps(deep);
  assert.deepEqual(withOverlay.find((s) => s.op === "overlay"), { op: "overlay", target: "/c/root", upper: "/c/upper", work: "/c/work", lower: deep.lower });
  const linked = steps({ source: "overlay", fstype: "overlay", data: "lowerdir=l/a:l/b,upperdir=/u,workdir=/w", cwd: "/layers" });
  const at = linked.findIndex((s) => s.op === "mount" && s.fstype === "overlay");
  assert.deepEqual(linked[at - 1], { op: "chdir", dir: "/layers" });
  assert.ok(encodePlan([{ op: "clone", flags: 0 }, ...withOverlay, { op: "exec", searchPath: "/bin", argv: ["true"] }]).length > 0);
  assert.deepEqual(kernelVersion("6.18.0-1-amd64"), [6, 18]);
});
