// Killing every process of a cgroup, shared by both drivers where the kernel offers no
// cgroup.kill: freeze first so nothing forks between reading the list and the kills.
import { killPids, waitUntil } from "./fs.js";

interface Freezer {
  freeze(): Promise<void>;
  thaw(): void;
}

export async function killByPids(pids: () => number[], freezer: Freezer | undefined): Promise<void> {
  if (pids().length === 0) return;
  let frozen = false;
  if (freezer) {
    try {
      await freezer.freeze();
      frozen = true;
    } catch {
      // A cgroup that cannot freeze (a task stuck in the kernel) still gets killed; the
      // loop below catches whatever forked meanwhile.
    }
  }
  try {
    killPids(pids());
  } finally {
    if (frozen) freezer?.thaw();
  }
  await waitUntil(() => {
    const left = pids();
    killPids(left);
    return left.length === 0;
  }, "the processes of the cgroup to exit");
}
