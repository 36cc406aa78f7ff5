// docker cp: between a container's files and the host's, or a tar stream. The container
// side is the host's static busybox tar, run by the shim inside the container's mount
// namespace (or over a stopped container's files mounted privately): every path is then
// resolved in the container's root, and no symlink in it can lead to the host. The host
// side is GNU tar, which also does the renaming.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import type { PipedProcess } from "../../runtime/index.js";
import { MydockerError } from "../../util/errors.js";
import { HOST_BUSYBOX } from "../busybox.js";
import type { ContainerRecord } from "../container-store.js";
import { guardOverwrites, type TreeKinds } from "./copy-guard.js";
import { planCopy, renameTransform, type CopyPlan, type PathKind } from "./copy-plan.js";
import type { ContainerContext } from "./context.js";
import type { HelperView } from "./rootfs-view.js";

export interface CopyOptions {
  /** -a: keep uid/gid (else the files belong to root, the user running cp). */
  archive?: boolean;
  /** -L: follow a symlink given as the source. */
  followLink?: boolean;
  /** Into the container: refuse to replace a directory with a non-directory or the reverse (docker's noOverwriteDirNonDir). */
  noOverwriteDirNonDir?: boolean;
}

interface Finished {
  code: number;
  stderr: string;
}

function collect(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => stream.on("close", () => resolve(Buffer.concat(chunks).toString("utf8"))));
}

/** Connects a producer's output to a consumer's input; a consumer that quits early is its own error. */
function connect(from: Readable, to: Writable): void {
  to.on("error", () => from.destroy());
  from.pipe(to);
}

class ContainerFiles {
  /** Worked out once: a cp starts up to three helpers over the same files. */
  private readonly view: () => HelperView;

  constructor(
    private readonly ctx: ContainerContext,
    private readonly c: ContainerRecord,
  ) {
    if (!fs.existsSync(HOST_BUSYBOX)) {
      throw new MydockerError("ENOBUSYBOX", `cp needs the host's static busybox at ${HOST_BUSYBOX}: apt-get install busybox-static`);
    }
    this.view = ctx.view.filesTarget(c);
  }

  /** Starts busybox APPLET ARGS... over the container's files. */
  async start(argv: string[]): Promise<PipedProcess> {
    const view = this.view();
    let p: PipedProcess;
    try {
      p = await this.ctx.runtime.helper(view.target, { program: HOST_BUSYBOX, argv });
    } catch (e) {
      view.release();
      throw e;
    }
    // Released before any caller that waits goes on: what cp made is gone when it returns.
    const ended = p.wait();
    ended.then(view.release, view.release).catch((e: Error) => this.ctx.debug(`removing a cp helper's overlay work directory: ${e.message}`));
    return { ...p, wait: () => ended };
  }

  async run(argv: string[]): Promise<Finished & { stdout: string }> {
    const p = await this.start(argv);
    p.stdin.end();
    const [stdout, stderr, exit] = await Promise.all([collect(p.stdout), collect(p.stderr), p.wait()]);
    return { code: exit.exitCode, stderr, stdout };
  }

  async kind(p: string, follow: boolean): Promise<PathKind> {
    const r = await this.run(["stat", ...(follow ? ["-L"] : []), "-c", "%F", "--", p]);
    if (r.code !== 0) return "missing";
    return r.stdout.trim() === "directory" ? "dir" : "file";
  }

  /** The directories and the other paths under dir: its entries (depth 1), or its whole tree with dir itself (none when nothing is there). */
  async tree(dir: string, depth: 1 | "all"): Promise<TreeKinds> {
    const limit = depth === 1 ? ["-mindepth", "1", "-maxdepth", "1"] : [];
    const [dirs, others] = await Promise.all([this.run(["find", dir, ...limit, "-type", "d", "-print0"]), this.run(["find", dir, ...limit, "!", "-type", "d", "-print0"])]);
    // A check that could not look refuses: an empty answer would let any entry through.
    const paths = (r: Finished & { stdout: string }) => {
      if (r.code !== 0 && !/No such file or directory/.test(r.stderr)) throw new MydockerError("EIO", `looking at ${dir} in the container: ${r.stderr.trim() || `find exited with ${r.code}`}`);
      return new Set(r.stdout.split("\0").filter(Boolean));
    };
    return { dirs: paths(dirs), others: paths(others) };
  }

  async realpath(p: string): Promise<string> {
    const r = await this.run(["readlink", "-f", "--", p]);
    if (r.code !== 0 || r.stdout.trim() === "") throw new MydockerError("ENOENT", `Could not find the file ${p} in container ${this.c.name}`);
    return r.stdout.trim();
  }
}

/** What is at a path in a container (lstat: a symlink is itself), as docker cp and the API's archive endpoints ask. */
export interface PathStat {
  name: string;
  size: number;
  /** st_mode: the file type and permission bits. */
  mode: number;
  mtime: Date;
  /** A symlink's target, else "". */
  linkTarget: string;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export async function statInContainer(ctx: ContainerContext, query: string, p: string): Promise<PathStat> {
  const c = ctx.reconciler.resolve(query);
  const files = new ContainerFiles(ctx, c);
  const given = inContainer(p);
  const r = await files.run(["stat", "-c", "%s %f %Y", "--", given]);
  const [size, mode, mtime] = r.stdout.trim().split(" ").map((v, i) => (i === 1 ? parseInt(v, 16) : Number(v)));
  if (r.code !== 0 || mtime === undefined) throw new MydockerError("ENOENT", `Could not find the file ${given} in container ${c.name}`);
  const link = (mode! & S_IFMT) === S_IFLNK ? await files.run(["readlink", "--", given]) : undefined;
  return { name: path.posix.basename(given) || "/", size: size!, mode: mode!, mtime: new Date(mtime * 1000), linkTarget: link?.stdout.replace(/\n$/, "") ?? "" };
}

function hostKind(p: string, follow: boolean): PathKind {
  const st = follow ? fs.statSync(p, { throwIfNoEntry: false }) : fs.lstatSync(p, { throwIfNoEntry: false });
  return st === undefined ? "missing" : st.isDirectory() ? "dir" : "file";
}

function startHostTar(args: string[]): { stdin: Writable; stdout: Readable; done: Promise<Finished> } {
  const child = spawn("tar", args, { stdio: ["pipe", "pipe", "pipe"] });
  const stderr = collect(child.stderr);
  const done = new Promise<Finished>((resolve) => {
    child.on("error", (e) => resolve({ code: 127, stderr: `tar: ${e.message}` }));
    child.on("close", async (code, signal) => resolve({ code: code ?? 128, stderr: (await stderr) || (signal ? `tar killed by ${signal}` : "") }));
  });
  return { stdin: child.stdin, stdout: child.stdout, done };
}

/** Waits for both ends; the first that failed (the reader first: its error is the cause) is the error. */
async function bothDone(ends: [string, Promise<Finished>][]): Promise<void> {
  const results = await Promise.all(ends.map(([, p]) => p));
  results.forEach((r, i) => {
    if (r.code !== 0) {
      const msg = r.stderr.trim().split("\n").pop() || `exit status ${r.code}`;
      throw new MydockerError("ECOPY", `${ends[i]![0]}: ${msg}`);
    }
  });
}

/** An absolute, normal path without a trailing "/" (the callers add back the one that means something). */
function inContainer(p: string): string {
  if (p.includes("\0")) throw new MydockerError("EINVAL", `invalid path ${JSON.stringify(p)} in the container: it contains a NUL byte`);
  return path.posix.join("/", p).replace(/(.)\/+$/, "$1");
}

function ownerFlags(archive: boolean | undefined, side: "gnu" | "busybox"): string[] {
  if (archive) return side === "gnu" ? ["--same-owner", "--numeric-owner"] : ["--numeric-owner"];
  return side === "gnu" ? ["--no-same-owner"] : ["-o"];
}

/**
 * A destination that exists and is neither a file nor a directory (a device, a FIFO: `cp
 * CTR:/etc/hostname /dev/null`) is written into, never replaced by what tar would extract.
 */
async function copyIntoSpecial(files: ContainerFiles, given: string, srcKind: PathKind, dest: string): Promise<void> {
  if (srcKind !== "file") throw new MydockerError("EINVAL", `cannot copy the directory ${given} to ${dest}: it is not a directory`);
  const out = fs.createWriteStream("", { fd: fs.openSync(dest, fs.constants.O_WRONLY) });
  const written = new Promise<Finished>((resolve) => {
    out.on("close", () => resolve({ code: 0, stderr: "" }));
    out.on("error", (e) => resolve({ code: 1, stderr: e.message }));
  });
  const cat = await files.start(["cat", "--", given]);
  cat.stdin.end();
  connect(cat.stdout, out);
  await bothDone([
    ["reading from the container", Promise.all([collect(cat.stderr), cat.wait()]).then(([stderr, exit]) => ({ code: exit.exitCode, stderr }))],
    ["writing on the host", written],
  ]);
}

/** docker cp CONTAINER:SRC DEST (DEST "-": a tar stream to out). */
export async function copyFromContainer(ctx: ContainerContext, query: string, src: string, dest: string, out: Writable, o: CopyOptions = {}): Promise<void> {
  const c = ctx.reconciler.resolve(query);
  const files = new ContainerFiles(ctx, c);
  const given = inContainer(src) + (src.endsWith("/.") ? "/." : "");
  const srcKind = await files.kind(given, Boolean(o.followLink));
  if (srcKind === "missing") throw new MydockerError("ENOENT", `Could not find the file ${given} in container ${c.name}`);
  const real = o.followLink ? await files.realpath(given) : given;
  let plan: CopyPlan;
  if (dest === "-") {
    const p = path.posix.normalize(real);
    // "DIR/." is the directory's contents, as members "./...", as docker sends them.
    plan = srcKind === "dir" && given.endsWith("/.") ? { from: p, member: ".", into: "" } : { from: path.posix.dirname(p), member: path.posix.basename(p), into: "" };
  } else {
    const destAbs = path.resolve(dest) + (dest.endsWith("/") ? "/" : "");
    const destSt = fs.statSync(destAbs, { throwIfNoEntry: false });
    if (destSt && !destSt.isFile() && !destSt.isDirectory()) return copyIntoSpecial(files, given, srcKind, destAbs);
    plan = planCopy({ given, kind: srcKind }, real, { given: destAbs, kind: hostKind(destAbs, true) });
    if (hostKind(plan.into, true) !== "dir") throw new MydockerError("ENOENT", `destination directory ${plan.into} does not exist`);
  }
  const maker = await files.start(["tar", "-c", "-f", "-", "-C", plan.from, "--", plan.member]);
  maker.stdin.end();
  const made: [string, Promise<Finished>] = [
    "reading from the container",
    Promise.all([collect(maker.stderr), maker.wait()]).then(([stderr, exit]) => ({ code: exit.exitCode, stderr })),
  ];
  if (dest === "-") {
    connect(maker.stdout, out);
    await bothDone([made]);
    return;
  }
  const rename = plan.rename ? ["--transform", renameTransform(plan.member, plan.rename)] : [];
  const extractor = startHostTar(["-x", "-f", "-", "-C", plan.into, ...ownerFlags(o.archive, "gnu"), ...rename]);
  connect(maker.stdout, extractor.stdin);
  await bothDone([made, ["writing on the host", extractor.done]]);
}

/** docker cp SRC CONTAINER:DEST (SRC "-": a tar stream from input, extracted into the directory DEST). */
export async function copyToContainer(ctx: ContainerContext, src: string, input: Readable, query: string, dest: string, o: CopyOptions = {}): Promise<void> {
  const c = ctx.reconciler.resolve(query);
  const files = new ContainerFiles(ctx, c);
  const destGiven = inContainer(dest) + (dest.endsWith("/") && dest !== "/" ? "/" : "");
  const destKind = await files.kind(destGiven, true);
  let plan: CopyPlan | undefined;
  if (src === "-") {
    if (destKind !== "dir") throw new MydockerError("ENOTDIR", `destination ${destGiven} must be a directory in container ${c.name}`);
  } else {
    const srcAbs = path.resolve(src) + (src.endsWith("/.") ? "/." : "");
    const srcKind = hostKind(srcAbs, Boolean(o.followLink));
    if (srcKind === "missing") throw new MydockerError("ENOENT", `lstat ${srcAbs}: no such file or directory`);
    const real = o.followLink ? fs.realpathSync(srcAbs) : srcAbs;
    plan = planCopy({ given: srcAbs, kind: srcKind }, real, { given: destGiven, kind: destKind });
  }
  const into = plan?.into ?? path.posix.normalize(destGiven);
  const extractor = await files.start(["tar", "-x", "-f", "-", "-C", into, ...ownerFlags(o.archive, "busybox")]);
  const extracted: [string, Promise<Finished>] = [
    "writing in the container",
    Promise.all([collect(extractor.stderr), collect(extractor.stdout), extractor.wait()]).then(([stderr, , exit]) => ({ code: exit.exitCode, stderr })),
  ];
  // A refused entry ends what the extractor gets: the refusal is the error, not tar's complaint of a short archive.
  let refused: unknown;
  const feed = (archive: Readable) => {
    const source = o.noOverwriteDirNonDir ? guardOverwrites(archive, into, (dir, depth) => files.tree(dir, depth)) : archive;
    source.once("error", (e) => {
      refused = e;
      extractor.stdin.destroy();
    });
    connect(source, extractor.stdin);
  };
  const finish = (ends: [string, Promise<Finished>][]) =>
    bothDone(ends).then(
      () => {
        if (refused) throw refused;
      },
      (e: unknown) => {
        throw refused ?? e;
      },
    );
  if (!plan) {
    feed(input);
    return finish([extracted]);
  }
  const rename = plan.rename ? ["--transform", renameTransform(plan.member, plan.rename)] : [];
  const maker = startHostTar(["-c", "-f", "-", "-C", plan.from, ...(o.archive ? ["--numeric-owner"] : []), ...rename, "--", plan.member]);
  maker.stdin.end();
  feed(maker.stdout);
  return finish([["reading on the host", maker.done], extracted]);
}
