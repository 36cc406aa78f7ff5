// Whether the host has AppArmor enabled: runc applies process.apparmorProfile only then,
// and ignores the field on a host without it (so that podman's configs, which name a
// profile wherever podman was built with AppArmor, run everywhere).
import fs from "node:fs";

const ENABLED = "/sys/module/apparmor/parameters/enabled";

function saysYes(file: string): boolean {
  try {
    return fs.readFileSync(file, "utf8").startsWith("Y");
  } catch {
    return false;
  }
}

/**
 * The kernel says "Y" in ENABLED when AppArmor is enabled. MYDOCKER_APPARMOR_ENABLED_FILE
 * names one more file that may say so (never less: it cannot turn a host's AppArmor off):
 * the tests of a profile that cannot be applied use one that says Y.
 */
export function appArmorEnabled(): boolean {
  const extra = process.env["MYDOCKER_APPARMOR_ENABLED_FILE"];
  return saysYes(ENABLED) || (extra !== undefined && extra !== "" && saysYes(extra));
}
