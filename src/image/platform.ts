// Platforms (os/arch[/variant]) as docker's --platform takes them: picking one image out
// of a manifest list / image index, and checking an image is made for one. This machine's
// platform unless the user names another.
import { MydockerError } from "../util/errors.js";
import type { Descriptor } from "../spec/image.js";

export interface PlatformSpec {
  os: string;
  /** Unset: any architecture (`--platform linux`). */
  architecture?: string;
  variant?: string;
}

const ArchAliases: Record<string, string> = { x86_64: "amd64", "x86-64": "amd64", aarch64: "arm64", armhf: "arm", armel: "arm", i386: "386" };
const nodeArch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

export function hostPlatform(): PlatformSpec {
  return { os: "linux", architecture: nodeArch[process.arch] ?? process.arch };
}

/** "linux/arm64/v8"; undefined or empty is this machine's platform. */
export function parsePlatform(text: string | undefined): PlatformSpec {
  if (text === undefined || text === "") return hostPlatform();
  const parts = text.toLowerCase().split("/");
  if (parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new MydockerError("EINVAL", `invalid platform "${text}": use os[/arch[/variant]], e.g. linux/amd64`);
  }
  const [os, arch, variant] = parts as [string, string?, string?];
  const architecture = arch === undefined ? undefined : (ArchAliases[arch] ?? arch);
  // arm64's only variant, as containerd's platform normalisation has it.
  return { os, architecture, variant: architecture === "arm64" && variant === "v8" ? undefined : variant };
}

export function formatPlatform(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** Whether an image made for actual suits wanted (what wanted leaves out, anything does). */
export function platformMatches(wanted: PlatformSpec, actual: { os?: string; architecture?: string; variant?: string }): boolean {
  const variant = actual.architecture === "arm64" && actual.variant === "v8" ? undefined : actual.variant;
  return wanted.os === actual.os && (wanted.architecture === undefined || wanted.architecture === actual.architecture) && (wanted.variant === undefined || wanted.variant === variant);
}

export function choosePlatform(manifests: Descriptor[], listDigest: string, wanted: PlatformSpec = hostPlatform()): Descriptor {
  const match = manifests.find((m) => m.platform !== undefined && platformMatches(wanted, m.platform));
  // An index without platforms (as podman's oci-archive writes) holds one image for us.
  const fallback = manifests.length === 1 && manifests[0]!.platform === undefined ? manifests[0] : undefined;
  const chosen = match ?? fallback;
  if (chosen === undefined) {
    const offered = manifests.map((m) => (m.platform ? formatPlatform(m.platform) : "?")).join(", ");
    throw new MydockerError("no_matching_platform", `no image for ${formatPlatform(wanted)} in ${listDigest} (it has: ${offered || "none"})`);
  }
  return chosen;
}

/** Fails unless the image (its config's os/architecture/variant) is made for the platform text names. */
export function checkPlatform(config: { os?: string; architecture?: string; variant?: string }, ref: string, text: string): void {
  const wanted = parsePlatform(text);
  if (!platformMatches(wanted, config)) {
    const actual = [config.os, config.architecture, config.variant].filter(Boolean).join("/");
    throw new MydockerError("no_matching_platform", `image with reference ${ref} was found but does not match the specified platform: wanted ${formatPlatform(wanted)}, actual: ${actual}`);
  }
}
