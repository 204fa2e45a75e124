import { describe, expect, it } from 'vitest';
import { NoteError, noteKeyHash, openCheckpoint, signCheckpoint, verifierKey } from './checkpoint-note';
import { IN_TOTO_PAYLOAD_TYPE, openEnvelope, pae, signEnvelope } from './dsse';
import { generateSigningKey, parsePublicKeyText, signerFromPrivateKey, verifyEd25519 } from './signing';
import { sha256 } from './merkle';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const signerFromSeed = (seed: Buffer) => signerFromPrivateKey(Buffer.concat([PKCS8_ED25519_PREFIX, seed]));

describe('C2SP signed notes and checkpoints', () => {
  it('reproduces the golang.org/x/mod/sumdb/note reference signature byte for byte', () => {
    // skey "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz": 0x01 || seed.
    const seed = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
    const signer = signerFromSeed(seed);
    expect(verifierKey('PeterNeumann', signer.publicKey)).toBe(
      'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    );
    const text =
      "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const blob = Buffer.concat([
      noteKeyHash('PeterNeumann', 0x01, signer.publicKey),
      signer.sign(Buffer.from(text)),
    ]).toString('base64');
    expect(blob).toBe('x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=');
    expect(parsePublicKeyText('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toEqual(
      signer.publicKey,
    );
  });

  it('reads verifier keys whose base64 holds a plus sign', () => {
    // transparency-dev/formats note tests: "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6".
    const raw = parsePublicKeyText('TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6');
    expect(verifierKey('TEST', raw)).toBe('TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6');
  });

  it('derives cosignature (0x04) key hashes as transparency-dev/formats does', () => {
    const material = Buffer.from('BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2', 'base64');
    expect(material[0]).toBe(0x04);
    expect(noteKeyHash('remora.n621.de', 0x04, material.subarray(1)).toString('hex')).toBe('da77ade7');
  });

  it('signs and opens a checkpoint with both tenant signatures and its time', () => {
    const signer = signerFromPrivateKey(generateSigningKey().privateKey);
    const root = sha256('root');
    const signed = signCheckpoint({ origin: 'cavra.evidence/acme/abc', size: 1234, root }, signer, 1_700_000_000);
    expect(signed.note.split('\n').slice(0, 4)).toEqual([
      'cavra.evidence/acme/abc',
      '1234',
      root.toString('base64'),
      '',
    ]);
    expect(signed.note.match(/^\u2014 cavra\.evidence\/acme\/abc /gmu)).toHaveLength(2);
    const opened = openCheckpoint(signed.note, signer.publicKey, 'cavra.evidence/acme/abc');
    expect(opened.size).toBe(1234);
    expect(opened.root.equals(root)).toBe(true);
    expect(opened.time).toBe(1_700_000_000);
  });

  it('rejects edited text, a foreign key, a replaced or missing signature, and malformed notes', () => {
    const signer = signerFromPrivateKey(generateSigningKey().privateKey);
    const other = signerFromPrivateKey(generateSigningKey().privateKey);
    const origin = 'cavra.evidence/acme/abc';
    const { note } = signCheckpoint({ origin, size: 10, root: sha256('r') }, signer, 5);
    expect(() => openCheckpoint(note.replace('\n10\n', '\n11\n'), signer.publicKey)).toThrow(/does not verify/);
    expect(() => openCheckpoint(note, other.publicKey)).toThrow(/no signature by the tenant key/);
    expect(() => openCheckpoint(note, signer.publicKey, 'cavra.evidence/other')).toThrow(/origin/);
    const foreign = signCheckpoint({ origin, size: 10, root: sha256('r') }, other, 5).note;
    const [text, sigs] = note.split('\n\n') as [string, string];
    const [, foreignSigs] = foreign.split('\n\n') as [string, string];
    const firstForeign = foreignSigs.split('\n')[0] as string;
    const secondOwn = sigs.split('\n')[1] as string;
    expect(() => openCheckpoint(`${text}\n\n${firstForeign}\n${secondOwn}\n`, signer.publicKey)).toThrow(
      /no signature by the tenant key/,
    );
    const flipped = note.replace(/(\u2014 \S+ )(.)/u, (_m, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'));
    expect(() => openCheckpoint(flipped, signer.publicKey)).toThrow(NoteError);
    expect(() => openCheckpoint(`${text}\n`, signer.publicKey)).toThrow(/signature/);
    expect(() => openCheckpoint(note.replace('\n10\n', '\n010\n'), signer.publicKey)).toThrow(/decimal/);
    expect(() => openCheckpoint(`x\n${note}`, signer.publicKey)).toThrow(/three lines/);
  });
});

describe('DSSE envelopes', () => {
  it('encodes PAE as the DSSE specification does', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    expect(pae('t', Buffer.from('€')).toString()).toBe('DSSEv1 1 t 3 €');
  });

  it('signs and opens an envelope; rejects edits, other keys and other types', () => {
    const signer = signerFromPrivateKey(generateSigningKey().privateKey);
    const other = signerFromPrivateKey(generateSigningKey().privateKey);
    const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
    const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, signer);
    expect(
      verifyEd25519(
        signer.publicKey,
        pae(IN_TOTO_PAYLOAD_TYPE, payload),
        Buffer.from(envelope.signatures[0]?.sig ?? '', 'base64'),
      ),
    ).toBe(true);
    expect(openEnvelope(envelope, IN_TOTO_PAYLOAD_TYPE, signer.publicKey, signer.keyId).equals(payload)).toBe(true);
    const edited = { ...envelope, payload: Buffer.from('{"_type":"x"}').toString('base64') };
    expect(() => openEnvelope(edited, IN_TOTO_PAYLOAD_TYPE, signer.publicKey, signer.keyId)).toThrow(/does not verify/);
    expect(() => openEnvelope(envelope, 'text/plain', signer.publicKey, signer.keyId)).toThrow(/payload type/);
    expect(() => openEnvelope(envelope, IN_TOTO_PAYLOAD_TYPE, other.publicKey, other.keyId)).toThrow(/no signature/);
    const forged = { ...envelope, signatures: [{ keyid: signer.keyId, sig: envelope.signatures[0]?.sig ?? '' }] };
    expect(() => openEnvelope(forged, IN_TOTO_PAYLOAD_TYPE, other.publicKey, signer.keyId)).toThrow(/does not verify/);
    expect(() => openEnvelope(null, IN_TOTO_PAYLOAD_TYPE, signer.publicKey, signer.keyId)).toThrow(/not a JSON object/);
  });
});
