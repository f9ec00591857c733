// A gateway's output log on the runtime host: capped and rotated (one archive kept), and read from
// its end without loading the whole file.
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";

/** The active file rotates to `<file>.1` at this size, so a gateway's output takes at most twice it. */
export const GATEWAY_LOG_MAX_BYTES = 4 * 1024 * 1024;

/** An append-only log file that rotates at `maxBytes`. Writes are synchronous: a crash loses nothing already written. */
export class RotatingLog extends Writable {
  #fd: number;
  #size: number;
  readonly file: string;
  readonly maxBytes: number;

  constructor(file: string, maxBytes = GATEWAY_LOG_MAX_BYTES) {
    super();
    this.file = file;
    this.maxBytes = maxBytes;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.#fd = openSync(file, "a", 0o600);
    this.#size = statSync(file).size;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void) {
    try {
      if (this.#size > 0 && this.#size + chunk.length > this.maxBytes) this.#rotate();
      // A single chunk larger than the cap keeps only its tail.
      const data = chunk.length > this.maxBytes ? chunk.subarray(chunk.length - this.maxBytes) : chunk;
      writeSync(this.#fd, data);
      this.#size += data.length;
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _final(done: (e?: Error | null) => void) {
    closeSync(this.#fd);
    done();
  }

  #rotate() {
    closeSync(this.#fd);
    renameSync(this.file, `${this.file}.1`);
    this.#fd = openSync(this.file, "a", 0o600);
    this.#size = 0;
  }
}

/** The last `lines` lines of a log (and of its archive when the active file has fewer), read backwards in blocks. */
export function tailLines(file: string, lines: number): string[] {
  const out = tailOfFile(file, lines);
  if (out.length < lines) return [...tailOfFile(`${file}.1`, lines - out.length), ...out];
  return out;
}

function tailOfFile(file: string, lines: number): string[] {
  if (lines <= 0 || !existsSync(file)) return [];
  const fd = openSync(file, "r");
  try {
    const chunks: Buffer[] = [];
    let pos = statSync(file).size;
    let newlines = 0;
    // Bytes, not text, until the end: a block may start inside a multi-byte character. One line more
    // than asked for, since the first one read may be cut at the block's start.
    while (pos > 0 && newlines <= lines) {
      const n = Math.min(64 * 1024, pos);
      pos -= n;
      const block = Buffer.alloc(n);
      readSync(fd, block, 0, n, pos);
      chunks.unshift(block);
      for (let i = block.indexOf(10); i >= 0; i = block.indexOf(10, i + 1)) newlines++;
    }
    return Buffer.concat(chunks).toString("utf8").split("\n").filter(Boolean).slice(-lines);
  } finally {
    closeSync(fd);
  }
}
