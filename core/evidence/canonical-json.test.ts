import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from './canonical-json';
import { headerText } from './record';

/** Decodes an IEEE 754 double from its 16-hex-digit bit pattern, as RFC 8785 Appendix B lists them. */
function double(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

describe('RFC 8785 canonical JSON', () => {
  it('serializes the RFC example (§3.2.2) byte for byte', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts property names by UTF-16 code units (§3.2.3)', () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh",' +
        ' "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",' +
        ' "\\u00f6": "Latin Small Letter O With Diaeresis"}',
    ) as Record<string, string>;
    const values = Object.values(JSON.parse(canonicalize(input)) as Record<string, string>);
    // JSON.parse keeps insertion order for non-integer keys except "1", so check the text instead.
    const order = [...canonicalize(input).matchAll(/":"([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
    expect(values).toHaveLength(7);
  });

  it('matches the cyberphone reference test data (weird.json)', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\u000a":"Newline","1":"One",' +
        '"\\u0080":"Control\\u007f","\\ud83d\\ude02":"Smiley","\\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\\ufb33":"Hebrew Letter Dalet With Dagesh","</script>":"Browser Challenge"}',
    ) as unknown;
    expect(canonicalize(input)).toBe(
      '{"\\n":"Newline","\\r":"Carriage Return","1":"One","</script>":"Browser Challenge",' +
        '"\u0080":"Control\u007f","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign",' +
        '"😂":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('formats numbers as RFC 8785 Appendix B lists them', () => {
    const table: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, text] of table) expect(canonicalize(double(bits)), bits).toBe(text);
  });

  it('refuses what is not JSON data instead of coercing it', () => {
    expect(() => canonicalize(Number.NaN)).toThrow(/not a JSON number/);
    expect(() => canonicalize({ a: Number.POSITIVE_INFINITY })).toThrow(/\$\.a/);
    expect(() => canonicalize('\ud800')).toThrow(/lone surrogate/);
    expect(() => canonicalize({ '\udc00': 1 })).toThrow(/lone surrogate/);
    expect(() => canonicalize([undefined])).toThrow(/undefined/);
    expect(() => canonicalize(1n)).toThrow(/bigint/);
    expect(() => canonicalize(new Date(0))).toThrow(/plain objects/);
    expect(() => canonicalize(new Map())).toThrow(/plain objects/);
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(() => canonicalize(deep)).toThrow(/deeper/);
  });

  it('omits undefined members and accepts null-prototype objects', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.b = 1;
    bare.a = undefined;
    expect(canonicalize(bare)).toBe('{"b":1}');
    expect(canonicalize({ z: [], y: {}, x: '' })).toBe('{"x":"","y":{},"z":[]}');
  });
});

describe('record header text', () => {
  it('is exactly the JCS of the header, for any header', () => {
    fc.assert(
      fc.property(
        fc.record({
          v: fc.integer({ min: 0, max: 1000 }),
          seq: fc.maxSafeNat(),
          time: fc.string(),
          type: fc.string(),
          prev: fc.string(),
          payload_sha256: fc.string(),
        }),
        (header) => {
          expect(headerText(header)).toBe(canonicalize(header));
        },
      ),
    );
  });
});
