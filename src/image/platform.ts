// Picks this machine's image out of a manifest list / image index: linux/amd64.
import { MydockerError } from "../util/errors.js";
import type { Descriptor } from "../spec/image.js";

const HostPlatform = { os: "linux", architecture: "amd64" } as const;

export function choosePlatform(manifests: Descriptor[], listDigest: string): Descriptor {
  const match = manifests.find(
    (m) => m.platform?.os === HostPlatform.os && m.platform.architecture === HostPlatform.architecture,
  );
  // An index without platforms (as podman's oci-archive writes) holds one image for us.
  const fallback = manifests.length === 1 && manifests[0]!.platform === undefined ? manifests[0] : undefined;
  const chosen = match ?? fallback;
  if (chosen === undefined) {
    const offered = manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : "?")).join(", ");
    throw new MydockerError("no_matching_platform", `no image for ${HostPlatform.os}/${HostPlatform.architecture} in ${listDigest} (it has: ${offered || "none"})`);
  }
  return chosen;
}
