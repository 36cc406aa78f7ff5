// A container's line of 128 MiB with no newline until its end: `logs` streams it in the parts
// the shim wrote (16 KiB records), with --tail counting whole lines, and never holds it whole:
// the logs process's peak RSS stays within half the line's size of a logs of a small container.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { BIN, cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";

const { ok, roots } = cliSuite();
const MiB = 1024 * 1024;
const LINE = 128 * MiB;
const timeCmd = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const skip = !isRoot() ? NOT_ROOT : !timeCmd ? "/usr/bin/time is not installed (Debian's time package)" : false;

/** `mydocker logs ARGS`: the bytes it printed (counted, the last few kept) and its peak RSS. */
function logs(args: string[]): Promise<{ bytes: number; end: string; rssKiB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(timeCmd!, ["-f", "maxrss=%M", BIN, "logs", ...args], { env: roots().env, stdio: ["ignore", "pipe", "pipe"] });
    let bytes = 0;
    let end = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      bytes += b.length;
      end = (end + b.toString("latin1")).slice(-16);
    });
    child.stderr.on("data", (b: Buffer) => (err += b));
    child.on("error", reject);
    child.on("close", (code) => {
      const rss = /maxrss=(\d+)/.exec(err);
      if (code !== 0 || !rss) return reject(new Error(`logs ${args.join(" ")} failed (${code}): ${err}`));
      resolve({ bytes, end, rssKiB: Number(rss[1]) });
    });
  });
}

test("logs --tail of a 128 MiB line: the whole line, in memory bounded well under its size", { skip, timeout: 120_000 }, async () => {
  ok("run", "--network", "none", "--name", "small", "busybox", "sh", "-c", "echo a; echo b");
  ok("run", "-d", "--network", "none", "--name", "long", "busybox", "sh", "-c", `echo first; head -c ${LINE} /dev/zero | tr '\\0' x; echo; echo end`);
  assert.equal(ok("wait", "long"), "0");
  const small = await logs(["--tail", "2", "small"]);
  assert.equal(small.bytes, 4);
  const two = await logs(["--tail", "2", "long"]);
  assert.equal(two.bytes, LINE + 1 + 4);
  assert.equal(two.end, "xxxxxxxxxxxx\nend\n".slice(-16));
  const one = await logs(["--tail", "1", "long"]);
  assert.deepEqual([one.bytes, one.end], [4, "end\n"]);
  const all = await logs(["long"]);
  assert.equal(all.bytes, 6 + LINE + 1 + 4);
  for (const [what, r] of [["--tail 2", two], ["--tail 1", one], ["all", all]] as const) {
    const grownMiB = (r.rssKiB - small.rssKiB) / 1024;
    assert.ok(grownMiB < LINE / MiB / 2, `logs ${what} of the long line peaked ${grownMiB.toFixed(0)} MiB above a small container's logs`);
  }
});
