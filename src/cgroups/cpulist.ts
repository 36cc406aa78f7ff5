// The kernel's list format for CPUs and memory nodes ("0-2,4"), as cpuset.cpus and
// /sys/devices/system/cpu/online use it.

/** The numbers a list names, ascending; undefined when the text is not a valid list. */
export function parseCpuList(text: string): number[] | undefined {
  const out = new Set<number>();
  for (const item of text.trim().split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!m) return undefined;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) return undefined;
    for (let n = first; n <= last; n++) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}
