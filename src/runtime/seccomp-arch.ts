// The architectures a seccomp filter can name, as the kernel tells them apart
// (seccomp_data.arch, an AUDIT_ARCH_* value), and their syscall numbers.
import { SYSCALL_TABLES } from "./seccomp-syscalls.js";

export interface SeccompArch {
  /** libseccomp's name (SCMP_ARCH_X86_64 -> "x86_64"), the key of its syscall table. */
  table: string;
  /** seccomp_data.arch of a call made in this ABI. */
  audit: number;
  /** 32-bit ABIs pass 32-bit arguments: only the low word of an argument is compared. */
  bits: 32 | 64;
  /** Where the high word of a 64-bit argument sits in seccomp_data. */
  bigEndian: boolean;
}

/** x32 calls come with x86_64's AUDIT_ARCH and this bit set in the number. */
export const X32_SYSCALL_BIT = 0x40000000;

const AUDIT_ARCH_X86_64 = 0xc000003e;

export const SECCOMP_ARCHES: ReadonlyMap<string, SeccompArch> = new Map([
  ["SCMP_ARCH_X86_64", { table: "x86_64", audit: AUDIT_ARCH_X86_64, bits: 64, bigEndian: false }],
  ["SCMP_ARCH_X86", { table: "x86", audit: 0x40000003, bits: 32, bigEndian: false }],
  ["SCMP_ARCH_X32", { table: "x32", audit: AUDIT_ARCH_X86_64, bits: 32, bigEndian: false }],
  ["SCMP_ARCH_AARCH64", { table: "aarch64", audit: 0xc00000b7, bits: 64, bigEndian: false }],
  ["SCMP_ARCH_ARM", { table: "arm", audit: 0x40000028, bits: 32, bigEndian: false }],
  ["SCMP_ARCH_RISCV64", { table: "riscv64", audit: 0xc00000f3, bits: 64, bigEndian: false }],
  ["SCMP_ARCH_PPC64LE", { table: "ppc64le", audit: 0xc0000015, bits: 64, bigEndian: false }],
  ["SCMP_ARCH_S390X", { table: "s390x", audit: 0x80000016, bits: 64, bigEndian: true }],
  ["SCMP_ARCH_S390", { table: "s390", audit: 0x00000016, bits: 32, bigEndian: true }],
] as const satisfies [string, SeccompArch][]);

/**
 * Names libseccomp knows but whose syscall tables we do not ship (no host we run on
 * executes them): a profile may list them; the filter leaves them out, so their calls
 * meet the filter's bad-architecture action.
 */
export const FOREIGN_ARCHES: ReadonlySet<string> = new Set([
  "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV32", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
]);

/** Node's process.arch -> the seccomp architecture of this host. */
const NATIVE: Readonly<Record<string, string>> = {
  x64: "SCMP_ARCH_X86_64",
  ia32: "SCMP_ARCH_X86",
  arm64: "SCMP_ARCH_AARCH64",
  arm: "SCMP_ARCH_ARM",
  riscv64: "SCMP_ARCH_RISCV64",
  ppc64: "SCMP_ARCH_PPC64LE",
  s390x: "SCMP_ARCH_S390X",
};

export function nativeSeccompArch(nodeArch: string = process.arch): string | undefined {
  return NATIVE[nodeArch];
}

const parsed = new Map<string, ReadonlyMap<string, number>>();

/** name -> number in ARCH's ABI (x32 numbers carry X32_SYSCALL_BIT). Parsed once, on first use. */
export function syscallNumbers(arch: SeccompArch): ReadonlyMap<string, number> {
  let m = parsed.get(arch.table);
  if (m) return m;
  const t = SYSCALL_TABLES[arch.table];
  const numbers = new Map<string, number>();
  if (t) {
    t.names.split(",").forEach((name, i) => name && numbers.set(name, t.base + i));
    for (const e of t.extra ? t.extra.split(",") : []) {
      const eq = e.indexOf("=");
      numbers.set(e.slice(0, eq), Number(e.slice(eq + 1)));
    }
  }
  m = numbers;
  parsed.set(arch.table, m);
  return m;
}
