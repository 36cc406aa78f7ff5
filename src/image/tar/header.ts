// Tar headers: ustar/GNU/pax decoding and ustar+pax encoding.
// Our own codec rather than tar-stream's because layer xattrs (security.capability and
// friends) are binary, and tar-stream decodes and encodes pax values as UTF-8 strings.
import { MydockerError } from "../../util/errors.js";

export const BlockSize = 512;

export type TarType = "file" | "link" | "symlink" | "char" | "block" | "dir" | "fifo";

export interface TarHeader {
  name: string;
  type: TarType;
  /** Permission bits including setuid/setgid/sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (pax may give a fraction). */
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
}

/** A header block as found in the stream, before pax/GNU long-name records are applied. */
export interface RawHeader {
  typeflag: string;
  name: string;
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

export type PaxRecords = Map<string, Buffer>;

function corrupt(why: string): MydockerError {
  return new MydockerError("corrupt_archive", `corrupt tar archive: ${why}`);
}

function cString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString("utf8", offset, end === -1 || end > offset + length ? offset + length : end);
}

function parseNumber(block: Buffer, offset: number, length: number, field: string): number {
  if (block[offset]! & 0x80) {
    // GNU base-256: big-endian two's complement with the high bit as the marker.
    let value = 0;
    for (let i = offset + 1; i < offset + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  const text = block.toString("ascii", offset, offset + length).replace(/[\0 ]+$/, "").replace(/^[ ]+/, "");
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw corrupt(`bad ${field} field "${text}"`);
  return parseInt(text, 8);
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BlockSize; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Whether head (a stream's first bytes) starts a tar archive, as Go's tar reader decides
 * (docker's IsArchive): a first block whose checksum holds. An empty archive (zero blocks) counts.
 */
export function isTarStart(head: Buffer): boolean {
  if (head.length < BlockSize) return false;
  const block = head.subarray(0, BlockSize);
  if (isZeroBlock(block)) return true;
  try {
    decodeRawHeader(block);
    return true;
  } catch {
    return false;
  }
}

export function decodeRawHeader(block: Buffer): RawHeader {
  const stored = parseNumber(block, 148, 8, "checksum");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BlockSize; i++) {
    const byte = i >= 148 && i < 156 ? 32 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) throw corrupt("header checksum mismatch");
  const magic = block.toString("ascii", 257, 263);
  let name = cString(block, 0, 100);
  if (magic === "ustar\0") {
    const prefix = cString(block, 345, 155);
    if (prefix !== "") name = `${prefix}/${name}`;
  }
  return {
    typeflag: String.fromCharCode(block[156]!),
    name,
    linkname: cString(block, 157, 100),
    mode: parseNumber(block, 100, 8, "mode"),
    uid: parseNumber(block, 108, 8, "uid"),
    gid: parseNumber(block, 116, 8, "gid"),
    size: parseNumber(block, 124, 12, "size"),
    mtime: parseNumber(block, 136, 12, "mtime"),
    uname: cString(block, 265, 32),
    gname: cString(block, 297, 32),
    devmajor: parseNumber(block, 329, 8, "devmajor"),
    devminor: parseNumber(block, 337, 8, "devminor"),
  };
}

export function decodePax(data: Buffer, into: PaxRecords): void {
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) throw corrupt("bad pax record");
    const length = parseInt(data.toString("ascii", pos, space), 10);
    if (!(length > 0) || pos + length > data.length || data[pos + length - 1] !== 0x0a) {
      throw corrupt("bad pax record length");
    }
    const eq = data.indexOf(0x3d, space + 1);
    if (eq === -1 || eq >= pos + length) throw corrupt("bad pax record");
    into.set(data.toString("utf8", space + 1, eq), Buffer.from(data.subarray(eq + 1, pos + length - 1)));
    pos += length;
  }
}

/** The kernel's limit on an xattr name (XATTR_NAME_MAX). */
const MaxXattrName = 255;

/**
 * An xattr name from a pax record, refused unless it is a plain name: NUL, newline and
 * other control bytes have no place in one and have been used to rewrite text formats
 * (setfattr --restore) that list names one a line.
 */
function xattrName(name: string, key: string): string {
  if (name === "" || /[\x00-\x1f\x7f]/.test(name) || Buffer.byteLength(name) > MaxXattrName || !name.includes(".")) {
    throw new MydockerError("unsafe_archive", `refusing tar archive: bad xattr name in pax record ${JSON.stringify(key)}`);
  }
  return name;
}

const typeByFlag: Record<string, TarType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "link",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
};

/** Applies pax and GNU long-name records to a raw header. */
export function finishHeader(raw: RawHeader, pax: PaxRecords, longName?: string, longLink?: string): TarHeader {
  let type = typeByFlag[raw.typeflag];
  if (type === undefined) {
    throw new MydockerError("unsupported_archive", `unsupported tar entry type "${raw.typeflag}" for ${raw.name}`);
  }
  const text = (key: string): string | undefined => pax.get(key)?.toString("utf8");
  const num = (key: string, fallback: number): number => {
    const value = text(key);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw corrupt(`bad pax ${key} "${value}"`);
    return parsed;
  };
  // Sizes and ids are counts: a negative or fractional one, or one past what a double
  // holds exactly, would throw the reader's position off.
  const count = (key: string, fallback: number): number => {
    const value = num(key, fallback);
    if (!Number.isSafeInteger(value) || value < 0) throw corrupt(`bad pax ${key} "${text(key) ?? value}"`);
    return value;
  };
  let name = text("path") ?? longName ?? raw.name;
  const linkname = text("linkpath") ?? longLink ?? raw.linkname;
  // A pax record or long name may carry what a header block cannot: no path holds a NUL.
  if (name.includes("\0") || linkname.includes("\0")) throw corrupt(`a path with a NUL byte: ${JSON.stringify(name)}`);
  const id = (key: "uid" | "gid"): number => {
    const value = count(key, raw[key]);
    // (uid_t)-1 means "no change" to chown: not an owner.
    if (value >= 0xffffffff) throw corrupt(`bad ${key} ${value}`);
    return value;
  };
  if (type === "file" && name.endsWith("/")) type = "dir";
  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of pax) {
    if (key.startsWith("SCHILY.xattr.")) xattrs.set(xattrName(key.slice("SCHILY.xattr.".length), key), value);
    else if (key.startsWith("LIBARCHIVE.xattr.")) {
      const encoded = key.slice("LIBARCHIVE.xattr.".length);
      let name: string;
      try {
        name = decodeURIComponent(encoded);
      } catch {
        throw corrupt(`bad pax record name "${JSON.stringify(key)}"`);
      }
      xattrs.set(xattrName(name, key), Buffer.from(value.toString("ascii"), "base64"));
    }
  }
  return {
    name,
    type,
    mode: raw.mode & 0o7777,
    uid: id("uid"),
    gid: id("gid"),
    size: count("size", raw.size),
    mtime: num("mtime", raw.mtime),
    linkname,
    uname: text("uname") ?? raw.uname,
    gname: text("gname") ?? raw.gname,
    devmajor: raw.devmajor,
    devminor: raw.devminor,
    xattrs,
  };
}

const flagByType: Record<TarType, string> = {
  file: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
};

function writeString(block: Buffer, offset: number, length: number, value: string): boolean {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) return false;
  bytes.copy(block, offset);
  return true;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): boolean {
  const digits = Math.trunc(value).toString(8);
  if (value < 0 || digits.length > length - 1) return false;
  block.write(digits.padStart(length - 1, "0"), offset, "ascii");
  return true;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, "utf8"), value, Buffer.from("\n")]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length), "ascii"), body]);
}

function headerBlock(fields: Omit<TarHeader, "type" | "xattrs"> & { typeflag: string }, pax: Buffer[] | null): Buffer {
  const block = Buffer.alloc(BlockSize);
  const need = (ok: boolean, key: string, value: string): void => {
    if (!ok) {
      if (pax === null) throw new Error(`tar field ${key} does not fit`);
      pax.push(paxRecord(key, Buffer.from(value, "utf8")));
    }
  };
  let name = fields.name;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", name.length - 2);
    if (cut > 0 && Buffer.byteLength(name.slice(0, cut)) <= 155 && Buffer.byteLength(name.slice(cut + 1)) <= 100) {
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    }
  }
  if (!writeString(block, 0, 100, name)) {
    need(false, "path", fields.name);
    Buffer.from(name, "utf8").copy(block, 0, 0, 100);
  }
  writeString(block, 345, 155, prefix);
  writeOctal(block, 100, 8, fields.mode);
  need(writeOctal(block, 108, 8, fields.uid), "uid", String(fields.uid));
  need(writeOctal(block, 116, 8, fields.gid), "gid", String(fields.gid));
  need(writeOctal(block, 124, 12, fields.size), "size", String(fields.size));
  need(writeOctal(block, 136, 12, fields.mtime), "mtime", String(Math.trunc(fields.mtime)));
  block.write(fields.typeflag, 156, "ascii");
  need(writeString(block, 157, 100, fields.linkname), "linkpath", fields.linkname);
  block.write("ustar\0" + "00", 257, "ascii");
  need(writeString(block, 265, 32, fields.uname), "uname", fields.uname);
  need(writeString(block, 297, 32, fields.gname), "gname", fields.gname);
  writeOctal(block, 329, 8, fields.devmajor);
  writeOctal(block, 337, 8, fields.devminor);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BlockSize; i++) sum += block[i]!;
  block.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return block;
}

export function paddingFor(size: number): number {
  return (BlockSize - (size % BlockSize)) % BlockSize;
}

/** The header blocks of one entry: a pax header when some field needs it, then ustar. */
export function encodeHeader(h: TarHeader): Buffer {
  const pax: Buffer[] = [];
  for (const key of [...h.xattrs.keys()].sort()) pax.push(paxRecord(`SCHILY.xattr.${key}`, h.xattrs.get(key)!));
  const name = h.type === "dir" && !h.name.endsWith("/") ? `${h.name}/` : h.name;
  const main = headerBlock(
    {
      name,
      typeflag: flagByType[h.type],
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      size: h.type === "file" ? h.size : 0,
      mtime: h.mtime,
      linkname: h.linkname,
      uname: h.uname,
      gname: h.gname,
      devmajor: h.devmajor,
      devminor: h.devminor,
    },
    pax,
  );
  if (pax.length === 0) return main;
  const data = Buffer.concat(pax);
  const paxHeader = headerBlock(
    {
      name: "PaxHeaders",
      typeflag: "x",
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: data.length,
      mtime: 0,
      linkname: "",
      uname: "",
      gname: "",
      devmajor: 0,
      devminor: 0,
    },
    null,
  );
  return Buffer.concat([paxHeader, data, Buffer.alloc(paddingFor(data.length)), main]);
}

/** The end-of-archive marker: two zero blocks. */
export const EndOfArchive = Buffer.alloc(2 * BlockSize);
