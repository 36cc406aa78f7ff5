// Shared by the image integration tests: temporary stores, a podman with its own
// storage, and snapshots of file trees (as the kernel's overlayfs shows them) to compare.
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ImageStore } from "../../src/image/index.js";
import { openDb, type Db } from "../../src/store/db.js";
import { podmanStore } from "../helpers/podman-store.js";

export const isRoot = process.getuid?.() === 0;

export function have(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
}

export interface TempStore {
  base: string;
  root: string;
  db: Db;
  store: ImageStore;
  cleanup(): void;
}

export function tempDir(prefix = "mydocker-image-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function tempStore(): TempStore {
  const base = tempDir();
  const root = path.join(base, "root");
  const db = openDb(root);
  return {
    base,
    root,
    db,
    store: new ImageStore(db, root),
    cleanup() {
      db.close();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/** What a user can see of a file tree: per path its type, mode, owner, size, content hash, link target, device. */
export function snapshot(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const inodes = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const child = rel === "" ? name : `${rel}/${name}`;
      if (skip(child)) continue;
      const abs = path.join(dir, child);
      const st = fs.lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8);
      let desc = `${mode} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) desc = `dir ${desc}`;
      else if (st.isSymbolicLink()) desc = `symlink ${desc} -> ${fs.readlinkSync(abs)}`;
      else if (st.isFile()) {
        const hash = crypto.createHash("sha256").update(fs.readFileSync(abs)).digest("hex").slice(0, 16);
        desc = `file ${desc} ${st.size} ${hash} mtime=${Math.floor(st.mtimeMs / 1000)}`;
        if (st.nlink > 1) {
          const key = `${st.dev}:${st.ino}`;
          if (!inodes.has(key)) inodes.set(key, child);
          desc += ` links-with=${inodes.get(key)}`;
        }
      } else if (st.isCharacterDevice()) desc = `char ${desc} ${st.rdev}`;
      else if (st.isBlockDevice()) desc = `block ${desc} ${st.rdev}`;
      else if (st.isFIFO()) desc = `fifo ${desc}`;
      out[child] = desc;
      if (st.isDirectory()) walk(child);
    }
  };
  walk("");
  return out;
}

/** Mounts overlayfs over the lower dirs (topmost first) in a private mount namespace and extracts what it shows into dest. */
export function kernelView(lowerDirs: string[], dest: string): void {
  const work = tempDir("mydocker-overlay-");
  try {
    for (const d of ["upper", "work", "mnt"]) fs.mkdirSync(path.join(work, d));
    const tar = path.join(work, "view.tar");
    const script = `mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/mnt" && tar --numeric-owner --xattrs -C "$2/mnt" -cf "$2/view.tar" .`;
    execFileSync("unshare", ["-m", "--propagation", "private", "sh", "-c", script, "sh", lowerDirs.join(":"), work]);
    fs.mkdirSync(dest, { recursive: true });
    execFileSync("tar", ["--numeric-owner", "-p", "--xattrs", "-C", dest, "-xf", tar]);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Extracts a tar file into dest with GNU tar (the reference extractor). */
export function untar(file: string, dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  execFileSync("tar", ["--numeric-owner", "-p", "--xattrs", "-C", dest, "-xf", file]);
}

/** podman with its own storage under base, so tests never touch the host's images. */
export class Podman {
  readonly args: string[];
  constructor(readonly base: string) {
    this.args = podmanStore(base);
  }

  run(...args: string[]): string {
    const r = spawnSync("podman", [...this.args, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`podman ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** podman run with what this machine needs (runc, rlimits it can grant, no network). */
  container(name: string, image: string, script: string): void {
    this.run("run", "--pull", "never", "--name", name, "--runtime", "runc", "--network", "none", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", image, "sh", "-c", script);
  }

  /** The file system of an image as podman exports it, extracted into dest. */
  exportImage(image: string, dest: string): void {
    const name = `export-${crypto.randomBytes(4).toString("hex")}`;
    this.run("create", "--pull", "never", "--name", name, image, "true");
    const file = path.join(this.base, `${name}.tar`);
    this.run("export", "-o", file, name);
    this.run("rm", name);
    untar(file, dest);
    fs.rmSync(file);
  }

  cleanup(): void {
    spawnSync("podman", [...this.args, "rm", "-a", "-f"]);
    spawnSync("podman", [...this.args, "system", "reset", "-f"]);
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}
