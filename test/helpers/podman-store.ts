// podman with a store of the caller's own. Every path podman writes is under base: with only
// --root and --runroot, `podman system reset` also deletes its default tmpdir (/run/libpod,
// every other podman user's state on the machine) and every network in the host's
// /etc/containers/networks.
import path from "node:path";

export function podmanStore(base: string): string[] {
  return [
    "--root", path.join(base, "root"),
    "--runroot", path.join(base, "run"),
    "--tmpdir", path.join(base, "tmp"),
    "--volumepath", path.join(base, "volumes"),
    "--network-config-dir", path.join(base, "networks"),
    "--storage-driver", "overlay",
  ];
}
