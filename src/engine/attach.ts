// docker attach: a client of the attach socket a detached container's monitor serves
// (native/attach.c). Output arrives as frames `STREAM LEN32BE DATA`; input, the end of
// input and window sizes go back as frames `TYPE LEN32BE DATA`.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { Writable, type Readable } from "node:stream";
import { MydockerError } from "../util/errors.js";

const IN_DATA = 0;
const IN_CLOSE = 1;
const IN_RESIZE = 2;
const HEADER = 5;

/** docker's default detach keys: ctrl-p ctrl-q. */
const DETACH_KEYS = Buffer.from([0x10, 0x11]);

/**
 * docker's --detach-keys: a comma-separated sequence of single characters and ctrl-KEY
 * (KEY a letter or one of @ [ \ ] ^ _), e.g. "ctrl-p,ctrl-q" or "ctrl-a,d".
 */
export function parseDetachKeys(spec: string): Buffer {
  const bytes = spec.split(",").map((k) => {
    const key = k.trim();
    if (key.length === 1) return key.charCodeAt(0);
    const m = /^ctrl-([a-z@[\\\]^_])$/i.exec(key);
    if (!m) throw new MydockerError("EINVAL", `invalid detach keys "${spec}": use a comma-separated list of characters and ctrl-KEY (ctrl-p,ctrl-q)`);
    const c = m[1]!.toLowerCase();
    return c >= "a" && c <= "z" ? c.charCodeAt(0) - 0x60 : c.charCodeAt(0) - 0x40;
  });
  return Buffer.from(bytes);
}

export interface AttachIo {
  stdout: Writable;
  stderr: Writable;
  /** Given: sent to the container's stdin (when it was created with -i), its end closes that stdin (but see keepStdinOpen). */
  stdin?: Readable;
  /** The end of stdin ends this client's attach and leaves the container's stdin open (docker's, without StdinOnce or with a terminal). */
  keepStdinOpen?: boolean;
  /** The container has a terminal: ctrl-p ctrl-q (or detachKeys) in the input detaches instead of being sent. */
  tty?: boolean;
  detachKeys?: Buffer;
  /** The terminal's size, set as soon as the monitor took the client in (before a start lets the process run). */
  size?: { rows: number; cols: number };
  /** stdin is sent only from takeInput() on: a client connected before the process has its terminal. */
  inputLater?: boolean;
}

function frame(type: number, data: Buffer): Buffer {
  const h = Buffer.alloc(HEADER);
  h[0] = type;
  h.writeUInt32BE(data.length, 1);
  return Buffer.concat([h, data]);
}

/** How long a client waits for the monitor's welcome: a monitor from before it sends none. */
const WELCOME_WAIT_MS = 2000;

export class AttachSession {
  /** Resolves when the output ended: the container exited (true) or we detached (false). */
  readonly done: Promise<boolean>;
  private welcomed!: () => void;
  /** Resolves once the monitor took this client in: every output from then on reaches it. */
  private readonly welcome = new Promise<void>((resolve) => (this.welcomed = resolve));
  private detached = false;
  private pending: Buffer = Buffer.alloc(0);
  /** How many of the detach keys the input has just typed, held back until the sequence ends or breaks. */
  private matched = 0;
  private readonly onInput = (chunk: Buffer) => this.input(chunk);
  private readonly onInputEnd = () => (this.io.keepStdinOpen ? this.detach() : this.socket.write(frame(IN_CLOSE, Buffer.alloc(0))));

  private constructor(
    private readonly socket: net.Socket,
    private readonly io: AttachIo,
  ) {
    this.done = new Promise((resolve) => {
      socket.on("close", () => {
        this.welcomed();
        this.stopInput();
        resolve(!this.detached);
      });
    });
    socket.on("data", (chunk: Buffer) => this.output(chunk));
    socket.on("error", () => socket.destroy());
    if (!io.inputLater) this.takeInput();
  }

  /** Starts sending io.stdin (once the process has somewhere to take it: see AttachIo.inputLater). */
  takeInput(): void {
    this.io.stdin?.on("data", this.onInput);
    this.io.stdin?.on("end", this.onInputEnd);
  }

  static connect(socketPath: string, io: AttachIo): Promise<AttachSession> {
    return AttachSession.open(socketPath, io).session;
  }

  /**
   * Connects at once (connected: the monitor's listen queue holds us, even while it waits
   * before its process runs) and resolves session once the monitor took us in.
   */
  static open(socketPath: string, io: AttachIo): { connected: Promise<void>; session: Promise<AttachSession> } {
    // A unix socket's path has room for 107 bytes: a longer one is reached through an fd
    // of its directory, as the monitor bound it.
    const dirFd = Buffer.byteLength(socketPath) > 107 ? fs.openSync(path.dirname(socketPath), "r") : undefined;
    const address = dirFd === undefined ? socketPath : `/proc/self/fd/${dirFd}/${path.basename(socketPath)}`;
    let connected!: () => void;
    let failed!: (e: Error) => void;
    const connectedP = new Promise<void>((resolve, reject) => ((connected = resolve), (failed = reject)));
    const session = new Promise<AttachSession>((resolve, reject) => {
      const socket = net.createConnection(address);
      socket.once("connect", () => {
        connected();
        socket.removeAllListeners("error");
        const session = new AttachSession(socket, io);
        const timer = setTimeout(() => session.welcomed(), WELCOME_WAIT_MS);
        void session.welcome.then(() => {
          clearTimeout(timer);
          if (io.size) session.resize(io.size.rows, io.size.cols);
          resolve(session);
        });
      });
      socket.once("error", (e) => {
        const err = new MydockerError("EATTACH", `cannot attach: ${e.message}`);
        failed(err);
        reject(err);
      });
    }).finally(() => {
      if (dirFd !== undefined) fs.closeSync(dirFd);
    });
    // Whoever awaits one of them hears of a failure; the other is not left unhandled.
    session.catch(() => {});
    connectedP.catch(() => {});
    return { connected: connectedP, session };
  }

  /** Sets the container's terminal size. */
  resize(rows: number, cols: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(rows, 0);
    b.writeUInt16BE(cols, 2);
    this.socket.write(frame(IN_RESIZE, b));
  }

  /** Sets the terminal size of a container's process, through a short connection of its own. */
  static async resizeTerminal(socketPath: string, rows: number, cols: number): Promise<void> {
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const s = await AttachSession.connect(socketPath, { stdout: sink, stderr: sink });
    s.resize(rows, cols);
    // end, not destroy: the size goes out before the connection closes.
    s.detached = true;
    s.socket.end();
  }

  /** Lets go of the container; it runs on. */
  detach(): void {
    this.detached = true;
    this.socket.destroy();
  }

  private stopInput(): void {
    this.io.stdin?.off("data", this.onInput);
    this.io.stdin?.off("end", this.onInputEnd);
    this.io.stdin?.pause();
  }

  /** Input to the container; the detach keys, typed in a row (one read or several), detach instead. */
  private input(chunk: Buffer): void {
    const keys = this.io.detachKeys ?? DETACH_KEYS;
    if (!this.io.tty || keys.length === 0) {
      this.socket.write(frame(IN_DATA, chunk));
      return;
    }
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === keys[this.matched]) {
        if (++this.matched === keys.length) {
          if (out.length) this.socket.write(frame(IN_DATA, Buffer.from(out)));
          this.detach();
          return;
        }
        continue;
      }
      // A broken sequence was input after all: what was held back goes first.
      out.push(...keys.subarray(0, this.matched));
      this.matched = 0;
      if (byte === keys[0]) this.matched = 1;
      else out.push(byte);
    }
    if (out.length) this.socket.write(frame(IN_DATA, Buffer.from(out)));
  }

  private output(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= HEADER) {
      const len = this.pending.readUInt32BE(1);
      if (this.pending.length < HEADER + len) break;
      const data = this.pending.subarray(HEADER, HEADER + len);
      if (this.pending[0] === 0) {
        this.welcomed();
        this.pending = this.pending.subarray(HEADER + len);
        continue;
      }
      const out = this.pending[0] === 2 ? this.io.stderr : this.io.stdout;
      // A slow reader slows the monitor down, and so the container: nothing is dropped.
      if (!out.write(data)) {
        this.socket.pause();
        out.once("drain", () => this.socket.resume());
      }
      this.pending = this.pending.subarray(HEADER + len);
    }
  }
}
