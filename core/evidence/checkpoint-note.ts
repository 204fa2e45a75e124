import crypto from 'node:crypto';
import { hasLoneSurrogate } from './canonical-json';
import { HASH_SIZE } from './merkle';
import type { EvidenceSigner } from './signing';
import { ED25519_PUBLIC_KEY_SIZE, ED25519_SIGNATURE_SIZE, verifyEd25519 } from './signing';

/**
 * Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint):
 *
 *   <origin>\n<tree size>\n<base64 root>\n\n— <origin> <base64(key id || signature)>\n…
 *
 * Each checkpoint carries two signatures by the tenant key under the origin name:
 *   - type 0x01, plain Ed25519 over the note text: the log's own checkpoint signature,
 *     verifiable by any signed-note client (e.g. golang.org/x/mod/sumdb/note);
 *   - type 0x04, a timestamped Ed25519 signature (c2sp.org/tlog-cosignature) over
 *     "cosignature/v1\ntime <t>\n" + note text: it commits to when the checkpoint was
 *     made without the NOT RECOMMENDED extension lines.
 * The signed-note spec allows one key under several signature types when the messages
 * are domain-separated, which the cosignature/v1 header guarantees.
 */

export class NoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoteError';
  }
}

export interface CheckpointBody {
  origin: string;
  size: number;
  root: Buffer;
}

export interface SignedCheckpoint extends CheckpointBody {
  /** POSIX seconds from the timestamped signature. */
  time: number;
  /** The whole signed note, byte for byte as signed. */
  note: string;
}

const SIG_ED25519 = 0x01;
const SIG_TIMESTAMPED_ED25519 = 0x04;
const EM_DASH = '\u2014';

/** Key names must be non-empty without spaces or '+' (signed-note §Format). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

export function noteKeyHash(name: string, type: number, publicKey: Buffer): Buffer {
  // A verifier opens one checkpoint per interval with the same key: remember the few key hashes
  // it has computed (copies are handed out, so a caller cannot alter the remembered one).
  const key = `${type}\n${name}\n${publicKey.toString('base64')}`;
  let hash = keyHashes.get(key);
  if (!hash) {
    hash = crypto
      .createHash('sha256')
      .update(name, 'utf8')
      .update(Buffer.from([0x0a, type]))
      .update(publicKey)
      .digest()
      .subarray(0, 4);
    if (keyHashes.size >= 64) keyHashes.clear();
    keyHashes.set(key, hash);
  }
  return Buffer.from(hash);
}
const keyHashes = new Map<string, Buffer>();

/** The C2SP verifier key string: `<name>+<hex key hash>+<base64(0x01 || public key)>`. */
export function verifierKey(name: string, publicKey: Buffer): string {
  if (!isValidKeyName(name)) throw new NoteError(`"${name}" is not a valid key name`);
  const hash = noteKeyHash(name, SIG_ED25519, publicKey).toString('hex');
  return `${name}+${hash}+${Buffer.concat([Buffer.from([SIG_ED25519]), publicKey]).toString('base64')}`;
}

export function checkpointText(body: CheckpointBody): string {
  if (!isValidKeyName(body.origin)) throw new NoteError(`"${body.origin}" is not a valid checkpoint origin`);
  if (!Number.isSafeInteger(body.size) || body.size < 0) throw new NoteError(`Invalid tree size ${body.size}`);
  if (body.root.length !== HASH_SIZE) throw new NoteError('A root hash is 32 bytes');
  return `${body.origin}\n${body.size}\n${body.root.toString('base64')}\n`;
}

function cosignedMessage(text: string, time: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${text}`, 'utf8');
}

export function signCheckpoint(body: CheckpointBody, signer: EvidenceSigner, time: number): SignedCheckpoint {
  if (!Number.isSafeInteger(time) || time < 0) throw new NoteError(`Invalid checkpoint time ${time}`);
  const text = checkpointText(body);
  const plain = Buffer.concat([
    noteKeyHash(body.origin, SIG_ED25519, signer.publicKey),
    signer.sign(Buffer.from(text, 'utf8')),
  ]);
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(BigInt(time));
  const timestamped = Buffer.concat([
    noteKeyHash(body.origin, SIG_TIMESTAMPED_ED25519, signer.publicKey),
    stamp,
    signer.sign(cosignedMessage(text, time)),
  ]);
  const note =
    `${text}\n` +
    `${EM_DASH} ${body.origin} ${plain.toString('base64')}\n` +
    `${EM_DASH} ${body.origin} ${timestamped.toString('base64')}\n`;
  return { ...body, time, note };
}

interface NoteSignature {
  name: string;
  keyHash: Buffer;
  signature: Buffer;
}

function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw new NoteError('the note contains control characters');
  if (hasLoneSurrogate(note)) throw new NoteError('the note is not valid UTF-8 text');
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('the note has no signature block');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > 16) throw new NoteError('the note has too many signatures');
  const signatures = lines.map((line) => {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!match) throw new NoteError('a signature line is malformed');
    const raw = Buffer.from(match[2] as string, 'base64');
    if (raw.length < 5) throw new NoteError('a signature is too short');
    return { name: match[1] as string, keyHash: raw.subarray(0, 4), signature: raw.subarray(4) };
  });
  return { text, signatures };
}

function parseCheckpointText(text: string): CheckpointBody {
  const lines = text.slice(0, -1).split('\n');
  if (lines.length !== 3) throw new NoteError('a checkpoint has exactly three lines (origin, size, root)');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (!isValidKeyName(origin)) throw new NoteError('the checkpoint origin is invalid');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new NoteError('the checkpoint tree size is not a decimal number');
  }
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== HASH_SIZE || root.toString('base64') !== rootText) {
    throw new NoteError('the checkpoint root is not a base64 SHA-256 hash');
  }
  return { origin, size: Number(sizeText), root };
}

/**
 * Parses a checkpoint note and verifies both tenant signatures. Signatures from other keys
 * (witnesses, a rotated key) are ignored as the signed-note spec requires; a tenant
 * signature that fails to verify rejects the whole note.
 */
export function openCheckpoint(note: string, publicKey: Buffer, expectedOrigin?: string): SignedCheckpoint {
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) throw new NoteError('the public key is not an Ed25519 key');
  const { text, signatures } = parseNote(note);
  const body = parseCheckpointText(text);
  if (expectedOrigin !== undefined && body.origin !== expectedOrigin) {
    throw new NoteError(`the checkpoint origin "${body.origin}" is not "${expectedOrigin}"`);
  }
  const plainHash = noteKeyHash(body.origin, SIG_ED25519, publicKey);
  const stampedHash = noteKeyHash(body.origin, SIG_TIMESTAMPED_ED25519, publicKey);
  let plainOk = false;
  let time: number | null = null;
  for (const sig of signatures) {
    if (sig.name !== body.origin) continue;
    if (sig.keyHash.equals(plainHash)) {
      if (!verifyEd25519(publicKey, Buffer.from(text, 'utf8'), sig.signature)) {
        throw new NoteError('the checkpoint signature does not verify with the tenant key');
      }
      plainOk = true;
    } else if (sig.keyHash.equals(stampedHash)) {
      if (sig.signature.length !== 8 + ED25519_SIGNATURE_SIZE)
        throw new NoteError('the timestamped signature is malformed');
      const stamp = sig.signature.readBigUInt64BE(0);
      if (stamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new NoteError('the checkpoint timestamp is out of range');
      if (!verifyEd25519(publicKey, cosignedMessage(text, Number(stamp)), sig.signature.subarray(8))) {
        throw new NoteError('the timestamped checkpoint signature does not verify with the tenant key');
      }
      time = Number(stamp);
    }
  }
  if (!plainOk) throw new NoteError('the checkpoint carries no signature by the tenant key');
  if (time === null) throw new NoteError('the checkpoint carries no timestamped signature by the tenant key');
  return { ...body, time, note };
}
