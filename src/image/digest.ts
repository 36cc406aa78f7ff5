// sha256 digests as OCI writes them ("sha256:<hex>"), and a pass-through that hashes.
import { crypto } from "../util/lazy-require.js";
import { MydockerError } from "../util/errors.js";
import type { Digest } from "../spec/image.js";

const digestPattern = /^sha256:[0-9a-f]{64}$/;

export function sha256(bytes: Buffer | string): Digest {
  return `sha256:${crypto().createHash("sha256").update(bytes).digest("hex")}`;
}

export function isDigest(text: string): boolean {
  return digestPattern.test(text);
}

/** The hex part, after checking that text is a sha256 digest (it becomes a file name). */
export function digestHex(text: string): string {
  if (!isDigest(text)) throw new MydockerError("invalid_digest", `invalid digest "${text}": expected sha256:<64 hex digits>`);
  return text.slice("sha256:".length);
}

/** Counts and hashes the bytes flowing through. */
export class HashingTap {
  private readonly hash = crypto().createHash("sha256");
  size = 0;

  async *tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      this.hash.update(chunk);
      this.size += chunk.length;
      yield chunk;
    }
  }

  digest(): Digest {
    return `sha256:${this.hash.digest("hex")}`;
  }
}
