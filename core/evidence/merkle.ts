import crypto from 'node:crypto';

/**
 * RFC 6962 §2.1 Merkle hash trees (as clarified by RFC 9162 §2.1): leaf hash
 * SHA-256(0x00 || leaf), interior node SHA-256(0x01 || left || right), the left subtree of
 * any split holding the largest power of two below the size. Indexes are plain numbers
 * and use arithmetic rather than 32-bit bit operators so that trees beyond 2^31 leaves work.
 */

export const HASH_SIZE = 32;
export const EMPTY_ROOT: Buffer = crypto.hash('sha256', Buffer.alloc(0), 'buffer');

// Scratch buffers for the two fixed-size inputs: hashing is synchronous, so reusing them is
// safe, and it spares an allocation per leaf and per node on the hot paths.
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeInput[0] = 0x01;

export function sha256(data: Buffer | string): Buffer {
  return crypto.hash('sha256', data, 'buffer');
}

export function leafHash(leaf: Buffer): Buffer {
  if (leaf.length === HASH_SIZE) {
    const input = Buffer.allocUnsafe(1 + HASH_SIZE);
    input[0] = 0x00;
    leaf.copy(input, 1);
    return crypto.hash('sha256', input, 'buffer');
  }
  return crypto.hash('sha256', Buffer.concat([Buffer.from([0x00]), leaf]), 'buffer');
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return crypto.hash('sha256', Buffer.concat([Buffer.from([0x01]), left, right]), 'buffer');
  }
  left.copy(nodeInput, 1);
  right.copy(nodeInput, 1 + HASH_SIZE);
  return crypto.hash('sha256', nodeInput, 'buffer');
}

/** Largest power of two strictly below n (n ≥ 2): the size of the left subtree. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && Number.isInteger(Math.log2(n)) && 2 ** Math.log2(n) === n;
}

/**
 * The compact frontier of a tree: the roots of the perfect subtrees its size decomposes
 * into, largest first. Appending costs one leaf plus amortized one node hash, and the
 * root is a fold over at most log2(size) hashes; nothing else needs to stay in memory.
 */
export class MerkleFrontier {
  private readonly levels: number[];
  private readonly hashes: Buffer[];
  private count: number;

  constructor(size = 0, subtrees: readonly Buffer[] = []) {
    const levels: number[] = [];
    for (let level = 52; level >= 0; level--) if (Math.floor(size / 2 ** level) % 2 === 1) levels.push(level);
    if (levels.length !== subtrees.length) {
      throw new Error(`A frontier of size ${size} has ${levels.length} subtrees, not ${subtrees.length}`);
    }
    this.levels = levels;
    this.hashes = [...subtrees];
    this.count = size;
  }

  /** The perfect subtrees a frontier of `size` is made of, as [level, index] pairs, largest first. */
  static subtreesOf(size: number): [level: number, index: number][] {
    const out: [number, number][] = [];
    let start = 0;
    for (let level = 52; level >= 0; level--) {
      const width = 2 ** level;
      if (Math.floor(size / width) % 2 === 1) {
        out.push([level, start / width]);
        start += width;
      }
    }
    return out;
  }

  get size(): number {
    return this.count;
  }

  /** Subtree hashes, largest first (a copy). */
  subtrees(): Buffer[] {
    return [...this.hashes];
  }

  /**
   * Adds one leaf hash. `onNode` sees every perfect subtree of level ≥ 1 the append
   * completes, so a store can persist them for proofs.
   */
  append(leaf: Buffer, onNode?: (level: number, index: number, hash: Buffer) => void): void {
    let level = 0;
    let hash = leaf;
    let index = this.count;
    while (this.levels.length > 0 && this.levels[this.levels.length - 1] === level) {
      this.levels.pop();
      const left = this.hashes.pop() as Buffer;
      hash = nodeHash(left, hash);
      level += 1;
      index = Math.floor(index / 2);
      onNode?.(level, index, hash);
    }
    this.levels.push(level);
    this.hashes.push(hash);
    this.count += 1;
  }

  root(): Buffer {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let acc = this.hashes[this.hashes.length - 1] as Buffer;
    for (let i = this.hashes.length - 2; i >= 0; i--) acc = nodeHash(this.hashes[i] as Buffer, acc);
    return acc;
  }

  clone(): MerkleFrontier {
    return new MerkleFrontier(this.count, this.hashes);
  }
}

/** Where proofs read hashes from: the perfect subtree at `level` covering leaves [index·2^level, (index+1)·2^level). */
export interface SubtreeSource {
  perfect(level: number, index: number): Buffer;
  /** Optional memo for imperfect ranges (the right edge), which many consecutive proofs share. */
  readonly ranges?: Map<string, Buffer> | null;
}

/** MTH(D[start:end]) from perfect subtrees: O(log n) lookups. */
export function rangeHash(source: SubtreeSource, start: number, end: number): Buffer {
  const n = end - start;
  if (n <= 0) throw new RangeError(`Empty range [${start}, ${end})`);
  if (isPowerOfTwo(n) && start % n === 0) return source.perfect(Math.log2(n), start / n);
  const key = `${start}:${end}`;
  const memo = source.ranges?.get(key);
  if (memo) return memo;
  const k = splitPoint(n);
  const hash = nodeHash(rangeHash(source, start, start + k), rangeHash(source, start + k, end));
  source.ranges?.set(key, hash);
  return hash;
}

/** RFC 6962 §2.1.1 PATH(m, D[n]): the audit path for leaf `index` in a tree of `size` leaves. */
export function inclusionProof(source: SubtreeSource, index: number, size: number): Buffer[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`Leaf ${index} is not in a tree of size ${size}`);
  }
  const out: Buffer[] = [];
  const walk = (m: number, start: number, end: number): void => {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, start + k);
      out.push(rangeHash(source, start + k, end));
    } else {
      walk(m - k, start + k, end);
      out.push(rangeHash(source, start, start + k));
    }
  };
  walk(index, 0, size);
  return out;
}

/** RFC 6962 §2.1.2 PROOF(m, D[n]): proves the tree of `oldSize` leaves is a prefix of the one of `newSize`. */
export function consistencyProof(source: SubtreeSource, oldSize: number, newSize: number): Buffer[] {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) {
    throw new RangeError(`No consistency proof from size ${oldSize} to ${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const out: Buffer[] = [];
  const walk = (m: number, start: number, end: number, whole: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!whole) out.push(rangeHash(source, start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      walk(m, start, start + k, whole);
      out.push(rangeHash(source, start + k, end));
    } else {
      walk(m - k, start + k, end, false);
      out.push(rangeHash(source, start, start + k));
    }
  };
  walk(oldSize, 0, newSize, true);
  return out;
}

function validHashes(hashes: readonly Buffer[]): boolean {
  return hashes.every((hash) => Buffer.isBuffer(hash) && hash.length === HASH_SIZE);
}

/** Where an RFC 9162 proof walk stands: `fn` and `sn` of §2.1.3.2 and §2.1.4.2. */
interface ProofPosition {
  fn: number;
  sn: number;
}

/**
 * One step of the RFC 9162 proof walk, shared by every verifier here: whether this step's
 * path hash joins on the left (r = H(p, r)) or the right (r = H(r, p)); moves `at` on.
 */
function stepLeft(at: ProofPosition): boolean {
  const left = at.fn % 2 === 1 || at.fn === at.sn;
  if (left) {
    while (at.fn % 2 === 0 && at.fn !== 0) {
      at.fn = Math.floor(at.fn / 2);
      at.sn = Math.floor(at.sn / 2);
    }
  }
  at.fn = Math.floor(at.fn / 2);
  at.sn = Math.floor(at.sn / 2);
  return left;
}

/** RFC 9162 §2.1.3.2: the root an audit path implies, or null when the path cannot fit the tree. */
export function rootFromInclusionProof(
  leaf: Buffer,
  index: number,
  size: number,
  path: readonly Buffer[],
): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  if (leaf.length !== HASH_SIZE || !validHashes(path)) return null;
  const at = { fn: index, sn: size - 1 };
  let r = leaf;
  for (const p of path) {
    if (at.sn === 0) return null;
    r = stepLeft(at) ? nodeHash(p, r) : nodeHash(r, p);
  }
  return at.sn === 0 ? r : null;
}

export function verifyInclusion(
  leaf: Buffer,
  index: number,
  size: number,
  path: readonly Buffer[],
  root: Buffer,
): boolean {
  const computed = rootFromInclusionProof(leaf, index, size, path);
  return computed !== null && computed.equals(root);
}

/** RFC 9162 §2.1.4.2, with the degenerate cases (equal sizes, empty old tree) made explicit. */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Buffer,
  newRoot: Buffer,
  path: readonly Buffer[],
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) {
    return false;
  }
  if (oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE || !validHashes(path)) return false;
  if (oldSize === newSize) return path.length === 0 && oldRoot.equals(newRoot);
  if (oldSize === 0) return path.length === 0 && oldRoot.equals(EMPTY_ROOT);
  if (path.length === 0) return false;
  const proof = isPowerOfTwo(oldSize) ? [oldRoot, ...path] : [...path];
  const at = { fn: oldSize - 1, sn: newSize - 1 };
  while (at.fn % 2 === 1) {
    at.fn = Math.floor(at.fn / 2);
    at.sn = Math.floor(at.sn / 2);
  }
  let fr = proof[0] as Buffer;
  let sr = proof[0] as Buffer;
  for (let i = 1; i < proof.length; i++) {
    const c = proof[i] as Buffer;
    if (at.sn === 0) return false;
    if (stepLeft(at)) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
    } else {
      sr = nodeHash(sr, c);
    }
  }
  return at.sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}

/**
 * Verifies the audit paths of many leaves against one root, each in full, but stops
 * hashing as soon as a path joins the previous verified one: the RFC 9162 loop is
 * deterministic in (fn, sn, r, remaining path), so an identical state with an identical
 * remaining path must end where the previous proof ended — at the verified root. Adjacent
 * leaves then cost about two hashes instead of log2(size).
 */
export class InclusionChecker {
  // The previous verified proof: its path and the loop state before each step. Updated in
  // place while checking; any failure forgets it.
  private prevPath: readonly string[] | null = null;
  private readonly fns: number[] = [];
  private readonly sns: number[] = [];
  private readonly rs: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly root: Buffer,
  ) {}

  /** `path` holds base64 hashes, compared as text before any is decoded. */
  check(leaf: Buffer, index: number, path: readonly string[]): boolean {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size || leaf.length !== HASH_SIZE) return false;
    const prev = this.prevPath;
    // The first step from which this path and the previous one agree to the end.
    let joinFrom = path.length + 1;
    if (prev && prev.length === path.length) {
      joinFrom = path.length;
      while (joinFrom > 0 && path[joinFrom - 1] === prev[joinFrom - 1]) joinFrom--;
    }
    const at = { fn: index, sn: this.size - 1 };
    let r = leaf;
    for (let k = 0; k < path.length; k++) {
      if (k >= joinFrom && this.fns[k] === at.fn && this.sns[k] === at.sn && (this.rs[k] as Buffer).equals(r)) {
        this.prevPath = path;
        return true;
      }
      this.fns[k] = at.fn;
      this.sns[k] = at.sn;
      this.rs[k] = r;
      if (at.sn === 0) return this.fail();
      const p = Buffer.from(path[k] as string, 'base64');
      if (p.length !== HASH_SIZE) return this.fail();
      r = stepLeft(at) ? nodeHash(p, r) : nodeHash(r, p);
    }
    if (at.sn !== 0 || !r.equals(this.root)) return this.fail();
    this.prevPath = path;
    return true;
  }

  private fail(): false {
    this.prevPath = null;
    return false;
  }
}

/**
 * The left siblings of a leaf's audit path are exactly the perfect subtrees covering
 * [0, index): RFC 6962 left subtrees are always perfect. This recovers them, largest
 * first, so a verifier can rebuild the frontier in front of an exported range and
 * recompute every checkpoint root inside it from the records themselves.
 */
export function leftSubtreesFromProof(index: number, size: number, path: readonly Buffer[]): Buffer[] | null {
  if (index < 0 || index >= size) return null;
  const lefts: Buffer[] = [];
  const at = { fn: index, sn: size - 1 };
  for (const p of path) {
    if (at.sn === 0) return null;
    // A hash that joins on the left is one of those subtrees: r = H(0x01 || p || r).
    if (stepLeft(at)) lefts.push(p);
  }
  if (at.sn !== 0) return null;
  return lefts.reverse();
}
