import crypto from 'node:crypto';
import fs from 'node:fs';

/**
 * Reads a JSON Lines file in large chunks while hashing its exact bytes. Every line must
 * end with a newline: a missing final newline means the file was cut off, and is reported
 * as such rather than parsed as a short last line.
 */
export class LineReader {
  private readonly fd: number;
  private readonly hash = crypto.createHash('sha256');
  private readonly chunk = Buffer.allocUnsafe(1 << 20);
  private lines: string[] = [];
  private next = 0;
  private carry: Buffer = Buffer.alloc(0);
  private eof = false;
  /** 1-based number of the last line returned. */
  lineNumber = 0;
  bytes = 0;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'r');
  }

  /** The next line without its newline, null at the end; throws TruncatedLineError. */
  async read(): Promise<string | null> {
    while (this.next >= this.lines.length) {
      if (this.eof) return null;
      this.fill();
    }
    this.lineNumber += 1;
    return this.lines[this.next++] as string;
  }

  /** Hex SHA-256 of the whole file; call after read() returned null. */
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
    // Synchronous 1 MiB reads: the verifier yields to the event loop between record chunks
    // anyway, and a thread-pool round trip per chunk only adds idle time.
    const read = fs.readSync(this.fd, this.chunk, 0, this.chunk.length, null);
    this.lines = [];
    this.next = 0;
    if (read === 0) {
      this.eof = true;
      if (this.carry.length > 0) throw new TruncatedLineError(this.lineNumber + 1);
      return;
    }
    const bytes = this.chunk.subarray(0, read);
    this.hash.update(bytes);
    this.bytes += read;
    // Lines are cut at the last newline only, so a multi-byte UTF-8 sequence is never split.
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, bytes]) : bytes;
    const lastNewline = data.lastIndexOf(0x0a);
    if (lastNewline < 0) {
      this.carry = Buffer.from(data);
      return;
    }
    const text = data.subarray(0, lastNewline).toString('utf8');
    this.carry = Buffer.from(data.subarray(lastNewline + 1));
    this.lines = text.split('\n');
  }
}

export class TruncatedLineError extends Error {
  constructor(readonly line: number) {
    super(`line ${line} is cut off (no newline at the end of the file)`);
    this.name = 'TruncatedLineError';
  }
}
