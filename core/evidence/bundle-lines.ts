import crypto from 'node:crypto';
import fs from 'node:fs';

/**
 * Reads a JSON Lines file in 1 MiB chunks while hashing its exact bytes. Every line must
 * end with a newline: a missing final newline means the file was cut off, and is reported
 * as such rather than parsed as a short last line. Lines come out as bytes (so a verifier
 * can hash parts of them without decoding and re-encoding) or as text.
 */
/** Records are at most 256 KiB of payload; a longer line is not a bundle line, and is not buffered. */
const MAX_LINE = 8 * 1024 * 1024;
const CHUNK = 1 << 20;

export class LineReader {
  private readonly fd: number;
  private readonly hash = crypto.createHash('sha256');
  private data: Buffer = Buffer.alloc(0);
  private pos = 0;
  private eof = false;
  /** 1-based number of the last line returned. */
  lineNumber = 0;
  bytes = 0;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'r');
  }

  /** The next line without its newline, null at the end; throws TruncatedLineError. */
  readBytes(): Buffer | null {
    for (;;) {
      const end = this.data.indexOf(0x0a, this.pos);
      if (end >= 0) {
        const line = this.data.subarray(this.pos, end);
        this.pos = end + 1;
        this.lineNumber += 1;
        return line;
      }
      if (this.eof) {
        if (this.pos < this.data.length) throw new TruncatedLineError(this.lineNumber + 1);
        return null;
      }
      if (this.data.length - this.pos > MAX_LINE) throw new LineTooLongError(this.lineNumber + 1);
      this.fill();
    }
  }

  read(): string | null {
    return this.readBytes()?.toString('utf8') ?? null;
  }

  /** Hex SHA-256 of the whole file; call after the last line was read. */
  digest(): string {
    return this.hash.digest('hex');
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  private fill(): void {
    // Synchronous reads: the verifier yields to the event loop between record chunks anyway,
    // and a thread-pool round trip per chunk would only add idle time. Each chunk is read into
    // a fresh buffer behind the unfinished line (earlier lines may still be in use), so the
    // bytes are copied once, not twice.
    const rest = this.data.length - this.pos;
    const next = Buffer.allocUnsafe(rest + CHUNK);
    this.data.copy(next, 0, this.pos);
    const read = fs.readSync(this.fd, next, rest, CHUNK, null);
    if (read === 0) {
      this.eof = true;
      return;
    }
    this.hash.update(next.subarray(rest, rest + read));
    this.bytes += read;
    this.data = next.subarray(0, rest + read);
    this.pos = 0;
  }
}

export class TruncatedLineError extends Error {
  constructor(readonly line: number) {
    super(`line ${line} is cut off (no newline at the end of the file)`);
    this.name = 'TruncatedLineError';
  }
}

export class LineTooLongError extends Error {
  constructor(readonly line: number) {
    super(`line ${line} is longer than ${MAX_LINE} bytes`);
    this.name = 'LineTooLongError';
  }
}
