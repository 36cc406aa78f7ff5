// An OCI bundle around a busybox rootfs, the input every peer runtime shares.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** The fields of runc's default config.json that the benchmarks change. */
interface SpecToEdit {
  process: { args: string[]; terminal: boolean };
  root: { path: string; readonly: boolean };
}

/**
 * Writes `runc spec`'s default config.json into bundleDir, running args in rootfs.
 * The root is read-only so that many containers can share one rootfs at once.
 */
export function makeBundle(bundleDir: string, rootfs: string, args: string[]): void {
  fs.mkdirSync(bundleDir, { recursive: true });
  const spec = spawnSync("runc", ["spec", "--bundle", bundleDir], { encoding: "utf8" });
  if (spec.status !== 0) throw new Error(`runc spec failed: ${spec.stderr || spec.error?.message}`);
  const file = path.join(bundleDir, "config.json");
  const config = JSON.parse(fs.readFileSync(file, "utf8")) as SpecToEdit;
  config.process.args = args;
  config.process.terminal = false;
  config.root.path = rootfs;
  config.root.readonly = true;
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
}
