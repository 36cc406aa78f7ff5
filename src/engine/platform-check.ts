// docker run --platform os[/arch[/variant]]: the image found must be made for it.
import type { ImageRecord } from "../image/index.js";
import { MydockerError } from "../util/errors.js";

const ARCH_ALIASES: Record<string, string> = { x86_64: "amd64", "x86-64": "amd64", aarch64: "arm64", armhf: "arm", armel: "arm", i386: "386" };

interface Wanted {
  os: string;
  architecture?: string;
  variant?: string;
}

function parsePlatform(text: string): Wanted {
  const parts = text.toLowerCase().split("/");
  if (parts.length > 3 || parts.some((p) => p === "" || !/^[a-z0-9._-]+$/.test(p))) {
    throw new MydockerError("EINVAL", `invalid platform "${text}": use os[/arch[/variant]], e.g. linux/amd64`);
  }
  const [os, arch, variant] = parts as [string, string?, string?];
  const architecture = arch === undefined ? undefined : (ARCH_ALIASES[arch] ?? arch);
  // arm64's only variant, as containerd's platform normalisation has it.
  return { os, architecture, variant: architecture === "arm64" && variant === "v8" ? undefined : variant };
}

export function checkPlatform(image: ImageRecord, ref: string, text: string): void {
  const wanted = parsePlatform(text);
  const cfg = image.config;
  const actual = [cfg.os, cfg.architecture, cfg.variant].filter(Boolean).join("/");
  const matches = wanted.os === cfg.os
    && (wanted.architecture === undefined || wanted.architecture === cfg.architecture)
    && (wanted.variant === undefined || wanted.variant === cfg.variant);
  if (!matches) {
    const want = [wanted.os, wanted.architecture, wanted.variant].filter(Boolean).join("/");
    throw new MydockerError("no_matching_platform", `image with reference ${ref} was found but does not match the specified platform: wanted ${want}, actual: ${actual}`);
  }
}
