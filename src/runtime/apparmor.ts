// Whether the host has AppArmor enabled: runc applies process.apparmorProfile only then,
// and ignores the field on a host without it (so that podman's configs, which name a
// profile wherever podman was built with AppArmor, run everywhere).
import fs from "node:fs";

/**
 * The kernel says "Y" here when AppArmor is enabled. MYDOCKER_APPARMOR_ENABLED_FILE names
 * another file: the tests of a profile that cannot be applied use one that says Y.
 */
export function appArmorEnabled(file = process.env["MYDOCKER_APPARMOR_ENABLED_FILE"] || "/sys/module/apparmor/parameters/enabled"): boolean {
  try {
    return fs.readFileSync(file, "utf8").startsWith("Y");
  } catch {
    return false;
  }
}
