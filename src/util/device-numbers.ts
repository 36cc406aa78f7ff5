// A device number (stat's rdev) split as glibc's gnu_dev_major / gnu_dev_minor do: the
// 64-bit encoding, whose high bits hold majors above 4095 and minors above 2^20 - 1.
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  return {
    major: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n)),
    minor: Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n)),
  };
}
