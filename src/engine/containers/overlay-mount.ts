// The overlay a container's root is: one mount(2) call while its options fit in the page
// mount(2) takes (~40 layers of full paths), else — for deep images (60 to 128 layers are
// real) — the new mount API with one lowerdir+ per layer (Linux 6.8), or, on an older
// kernel, short relative link names to the layers (as docker's and podman's l/ links).
import os from "node:os";
import type { RootfsMount } from "../../runtime/index.js";

/** mount(2) copies at most one page of options, its NUL included. */
export const MaxMountData = 4095;

export interface OverlayLayers {
  upper: string;
  work: string;
  /** Lower layer directories, topmost first. */
  lower: string[];
}

/** The kernel's major.minor from a release string ("6.18.0-1-amd64"). */
export function kernelVersion(release = os.release()): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export function hasLowerdirPlus([major, minor]: [number, number]): boolean {
  return major > 6 || (major === 6 && minor >= 8);
}

/**
 * Whether deep images get lowerdir+ (the overlay record): on Linux 6.8 and later, unless
 * MYDOCKER_OVERLAY_SHORT_LINKS=1 asks for older kernels' short links (how their test runs
 * on a kernel that has lowerdir+).
 */
export function useLowerdirPlus(kernel = kernelVersion(), env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MYDOCKER_OVERLAY_SHORT_LINKS !== "1" && hasLowerdirPlus(kernel);
}

/**
 * How to mount layers: shortLinks gives the same lower layers as names relative to a
 * directory (made on demand, only for the fallback).
 */
export function overlayMount(l: OverlayLayers, lowerdirPlus: boolean, shortLinks: () => { cwd: string; lower: string[] }): RootfsMount {
  const data = (lower: string[]) => `lowerdir=${lower.join(":")},upperdir=${l.upper},workdir=${l.work}`;
  const full = data(l.lower);
  if (full.length <= MaxMountData) return { source: "overlay", fstype: "overlay", data: full };
  if (lowerdirPlus) return { upper: l.upper, work: l.work, lower: l.lower };
  const links = shortLinks();
  return { source: "overlay", fstype: "overlay", data: data(links.lower), cwd: links.cwd };
}
