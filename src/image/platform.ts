// Picks one image out of a manifest list / image index: this machine's platform unless
// the user names another (--platform os/arch[/variant]).
import { MydockerError } from "../util/errors.js";
import type { Descriptor } from "../spec/image.js";

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

const nodeArch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

export function hostPlatform(): PlatformSpec {
  return { os: "linux", architecture: nodeArch[process.arch] ?? process.arch };
}

/** "linux/arm64/v8" as docker's --platform takes it; undefined is this machine's. */
export function parsePlatform(text: string | undefined): PlatformSpec {
  if (text === undefined || text === "") return hostPlatform();
  const parts = text.toLowerCase().split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new MydockerError("EINVAL", `invalid platform "${text}": use os/arch[/variant], e.g. linux/amd64`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return { os, architecture: architecture === "x86_64" ? "amd64" : architecture === "aarch64" ? "arm64" : architecture, variant };
}

export function formatPlatform(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

export function choosePlatform(manifests: Descriptor[], listDigest: string, wanted: PlatformSpec = hostPlatform()): Descriptor {
  const matches = manifests.filter((m) => m.platform?.os === wanted.os && m.platform.architecture === wanted.architecture);
  const match = wanted.variant === undefined ? matches[0] : matches.find((m) => m.platform?.variant === wanted.variant);
  // An index without platforms (as podman's oci-archive writes) holds one image for us.
  const fallback = manifests.length === 1 && manifests[0]!.platform === undefined ? manifests[0] : undefined;
  const chosen = match ?? fallback;
  if (chosen === undefined) {
    const offered = manifests.map((m) => (m.platform ? formatPlatform(m.platform) : "?")).join(", ");
    throw new MydockerError("no_matching_platform", `no image for ${formatPlatform(wanted)} in ${listDigest} (it has: ${offered || "none"})`);
  }
  return chosen;
}
