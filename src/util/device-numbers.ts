// A device number (stat's rdev) split as the kernel's new_encode_dev packs it.
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  return { major: (rdev >>> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}
