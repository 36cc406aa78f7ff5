// A classic-BPF interpreter for seccomp programs, as the kernel runs them: tests ask what a
// compiled filter returns for a call without installing it.
import type { Insn } from "../../src/runtime/seccomp-bpf.js";

export interface SeccompCall {
  nr: number;
  arch: number;
  /** Up to six 64-bit arguments. */
  args?: bigint[];
}

/** struct seccomp_data, little-endian. */
function data(call: SeccompCall): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(call.nr >>> 0, 0);
  b.writeUInt32LE(call.arch >>> 0, 4);
  (call.args ?? []).forEach((a, i) => b.writeBigUInt64LE(a, 16 + 8 * i));
  return b;
}

export function runFilter(program: readonly Insn[], call: SeccompCall): number {
  const d = data(call);
  let acc = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc];
    switch (code) {
      case 0x20:
        acc = d.readUInt32LE(k);
        break;
      case 0x54:
        acc = (acc & k) >>> 0;
        break;
      case 0x05:
        pc += k;
        break;
      case 0x15:
        pc += acc === k ? jt : jf;
        break;
      case 0x25:
        pc += acc > k ? jt : jf;
        break;
      case 0x35:
        pc += acc >= k ? jt : jf;
        break;
      case 0x06:
        return k;
      default:
        throw new Error(`unknown BPF instruction ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error("the program ran off its end");
}

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
export const RET_ALLOW = 0x7fff0000;
export const RET_KILL_PROCESS = 0x80000000;
export const retErrno = (errno: number) => (0x00050000 | errno) >>> 0;
