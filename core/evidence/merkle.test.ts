import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  InclusionChecker,
  MerkleFrontier,
  consistencyProof,
  inclusionProof,
  leafHash,
  leftSubtreesFromProof,
  nodeHash,
  rangeHash,
  verifyConsistency,
  verifyInclusion,
} from './merkle';
import type { SubtreeSource } from './merkle';

const hex = (b: Buffer) => b.toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');

/** RFC 6962 §2.1 MTH written out literally, as the reference the fast paths are checked against. */
function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0] as Buffer;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** A subtree source over leaves held in memory. */
function memorySource(leaves: readonly Buffer[]): SubtreeSource {
  return { perfect: (level, index) => mth(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level)) };
}

// The Certificate Transparency reference inputs (certificate-transparency-go testdata).
const CT_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const CT_LEAVES = CT_INPUTS.map(leafHash);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const many = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`record-${i}`)));

describe('RFC 6962 Merkle tree', () => {
  it('matches the reference roots, the empty root and the frontier', () => {
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const frontier = new MerkleFrontier();
    for (let n = 1; n <= 8; n++) {
      frontier.append(CT_LEAVES[n - 1] as Buffer);
      expect(hex(frontier.root()), `size ${n}`).toBe(CT_ROOTS[n - 1]);
      expect(hex(mth(CT_LEAVES.slice(0, n)))).toBe(CT_ROOTS[n - 1]);
    }
  });

  it('produces the reference inclusion and consistency proofs', () => {
    const source = memorySource(CT_LEAVES);
    expect(inclusionProof(source, 0, 8).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(inclusionProof(source, 5, 8).map(hex)).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(consistencyProof(source, 2, 8).map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(consistencyProof(source, 6, 8).map(hex)).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(consistencyProof(source, 2, 5).map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
  });

  it('verifies every inclusion proof of every tree size, and no tampered one', () => {
    for (let n = 1; n <= many.length; n++) {
      const leaves = many.slice(0, n);
      const source = memorySource(leaves);
      const root = mth(leaves);
      expect(rangeHash(source, 0, n).equals(root)).toBe(true);
      const checker = new InclusionChecker(n, root);
      for (let i = 0; i < n; i++) {
        const path = inclusionProof(source, i, n);
        const leaf = leaves[i] as Buffer;
        expect(verifyInclusion(leaf, i, n, path, root), `${i}/${n}`).toBe(true);
        expect(
          checker.check(
            leaf,
            i,
            path.map((p) => p.toString('base64')),
          ),
        ).toBe(true);
        expect(leftSubtreesFromProof(i, n, path)?.map(hex)).toEqual(
          MerkleFrontier.subtreesOf(i).map(([level, index]) => hex(source.perfect(level, index))),
        );
        expect(verifyInclusion(leaf, i + 1, n, path, root)).toBe(false);
        expect(verifyInclusion(leafHash(Buffer.from('other')), i, n, path, root)).toBe(false);
        if (path.length > 0) {
          const flipped = path.map((p) => Buffer.from(p));
          const last = flipped[path.length - 1] as Buffer;
          last.writeUInt8(last.readUInt8(0) ^ 1, 0);
          expect(verifyInclusion(leaf, i, n, flipped, root)).toBe(false);
          expect(verifyInclusion(leaf, i, n, path.slice(0, -1), root)).toBe(false);
          expect(
            checker.check(
              leaf,
              i,
              flipped.map((p) => p.toString('base64')),
            ),
          ).toBe(false);
        }
        expect(verifyInclusion(leaf, i, n, [...path, Buffer.alloc(32)], root)).toBe(false);
      }
    }
  });

  it('the sequential checker agrees with the plain verifier on a tampered leaf in a run', () => {
    const n = 61;
    const source = memorySource(many.slice(0, n));
    const root = mth(many.slice(0, n));
    const checker = new InclusionChecker(n, root);
    for (let i = 0; i < n; i++) {
      const path = inclusionProof(source, i, n).map((p) => p.toString('base64'));
      const leaf = i === 37 ? leafHash(Buffer.from('forged')) : (many[i] as Buffer);
      expect(checker.check(leaf, i, path), `leaf ${i}`).toBe(i !== 37);
    }
  });

  it('verifies every consistency proof between every pair of sizes, and no tampered one', () => {
    const roots = Array.from({ length: many.length + 1 }, (_, n) => mth(many.slice(0, n)));
    for (let second = 0; second <= many.length; second++) {
      const source = memorySource(many.slice(0, second));
      for (let first = 0; first <= second; first++) {
        const proof = consistencyProof(source, first, second);
        const r1 = roots[first] as Buffer;
        const r2 = roots[second] as Buffer;
        expect(verifyConsistency(first, second, r1, r2, proof), `${first}->${second}`).toBe(true);
        if (first > 0 && first < second) {
          expect(verifyConsistency(first, second, roots[first - 1] as Buffer, r2, proof)).toBe(false);
          expect(verifyConsistency(first, second, r1, roots[second - 1] as Buffer, proof)).toBe(false);
          expect(verifyConsistency(first, second, r1, r2, proof.slice(0, -1))).toBe(false);
          expect(verifyConsistency(first, second, r1, r2, [...proof, Buffer.alloc(32)])).toBe(false);
        }
      }
    }
    expect(verifyConsistency(4, 4, roots[4] as Buffer, roots[5] as Buffer, [])).toBe(false);
    expect(verifyConsistency(5, 4, roots[5] as Buffer, roots[4] as Buffer, [])).toBe(false);
  });

  it('the frontier reports each completed perfect subtree once', () => {
    const frontier = new MerkleFrontier();
    const nodes = new Map<string, string>();
    for (const leaf of many) {
      frontier.append(leaf, (level, index, hash) => {
        expect(nodes.has(`${level}/${index}`)).toBe(false);
        nodes.set(`${level}/${index}`, hex(hash));
      });
    }
    const source = memorySource(many);
    for (const [key, value] of nodes) {
      const [level, index] = key.split('/').map(Number) as [number, number];
      expect(value).toBe(hex(source.perfect(level, index)));
    }
    expect(nodes.size).toBe(many.length - 3); // 70 = 64 + 4 + 2: one node per leaf beyond the frontier's three roots
    const reopened = new MerkleFrontier(frontier.size, frontier.subtrees());
    expect(reopened.root().equals(frontier.root())).toBe(true);
    expect(() => new MerkleFrontier(5, [])).toThrow(/2 subtrees/);
  });
});
