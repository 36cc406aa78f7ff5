// A small assembler for classic BPF, the language of seccomp filters: instructions with
// symbolic jump targets, resolved into the kernel's struct sock_filter.

/** struct sock_filter: what the kernel runs. */
export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const BPF_LD_W_ABS = 0x20;
const BPF_ALU_AND_K = 0x54;
const BPF_JMP_JA = 0x05;
const BPF_JMP_JEQ_K = 0x15;
const BPF_JMP_JGT_K = 0x25;
const BPF_JMP_JGE_K = 0x35;
const BPF_RET_K = 0x06;

/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

export class Label {
  pos = -1;
}

/** A jump target: a label, or undefined for the next instruction. */
type Target = Label | undefined;

interface Pending {
  code: number;
  k: number | Label;
  jt?: Target;
  jf?: Target;
}

export class Assembler {
  private readonly out: Pending[] = [];

  bind(l: Label): void {
    l.pos = this.out.length;
  }

  load(offset: number): void {
    this.out.push({ code: BPF_LD_W_ABS, k: offset });
  }

  and(mask: number): void {
    this.out.push({ code: BPF_ALU_AND_K, k: mask >>> 0 });
  }

  jeq(k: number, jt?: Target, jf?: Target): void {
    this.out.push({ code: BPF_JMP_JEQ_K, k: k >>> 0, jt, jf });
  }

  jgt(k: number, jt?: Target, jf?: Target): void {
    this.out.push({ code: BPF_JMP_JGT_K, k: k >>> 0, jt, jf });
  }

  jge(k: number, jt?: Target, jf?: Target): void {
    this.out.push({ code: BPF_JMP_JGE_K, k: k >>> 0, jt, jf });
  }

  /** An unconditional jump: 32 bits of offset, for targets a conditional jump cannot reach. */
  jump(to: Label): void {
    this.out.push({ code: BPF_JMP_JA, k: to });
  }

  ret(value: number): void {
    this.out.push({ code: BPF_RET_K, k: value >>> 0 });
  }

  get length(): number {
    return this.out.length;
  }

  assemble(): Insn[] {
    return this.out.map((p, i) => {
      const offset = (t: Target): number => {
        if (t === undefined) return 0;
        if (t.pos < 0) throw new Error("seccomp: jump to a label never bound");
        const d = t.pos - i - 1;
        // The compiler keeps conditional targets near (ret instructions inline, `jump` past blocks).
        if (d < 0 || d > 255) throw new Error(`seccomp: conditional jump of ${d} at ${i}`);
        return d;
      };
      if (p.k instanceof Label) return { code: p.code, jt: 0, jf: 0, k: p.k.pos - i - 1 };
      return { code: p.code, jt: offset(p.jt), jf: offset(p.jf), k: p.k };
    });
  }
}
