/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * ECMAScript already defines both halves JCS relies on: `Number.prototype.toString` is the
 * number serialization JCS adopts (§3.2.2.3), and `JSON.stringify` on a string is its
 * string escaping (§3.2.2.2). Property names sort by UTF-16 code units, which is what
 * Array.prototype.sort does for strings by default (§3.2.3).
 *
 * Inputs must be JSON data: plain objects, arrays, strings, finite numbers, booleans, null.
 * Object properties whose value is `undefined` are omitted (as JSON.stringify does), so
 * optional TypeScript fields canonicalize the same whether absent or undefined. Anything
 * else — NaN, Infinity, lone surrogates, bigint, Date, class instances — is refused rather
 * than silently coerced, because a hash over a coerced value would not be reproducible.
 */
export class CanonicalJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalJsonError';
  }
}

const MAX_DEPTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** I-JSON (RFC 7493) strings are valid Unicode: no unpaired UTF-16 surrogates. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

export function canonicalize(value: unknown): string {
  return serialize(value, '$', 0);
}

function serialize(value: unknown, at: string, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${at}: ${String(value)} is not a JSON number`);
      // -0 serializes as "0" under ECMAScript rules; JCS keeps that.
      return String(value);
    case 'string':
      if (hasLoneSurrogate(value)) throw new CanonicalJsonError(`${at}: string contains a lone surrogate`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`${at}: ${typeof value} is not JSON data`);
  }
  if (depth >= MAX_DEPTH) throw new CanonicalJsonError(`${at}: nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw new CanonicalJsonError(`${at}[${i}]: undefined is not JSON data`);
      parts.push(serialize(item, `${at}[${i}]`, depth + 1));
    }
    return `[${parts.join(',')}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new CanonicalJsonError(`${at}: only plain objects are JSON data`);
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    if (hasLoneSurrogate(key)) throw new CanonicalJsonError(`${at}: property name contains a lone surrogate`);
    parts.push(`${JSON.stringify(key)}:${serialize(member, `${at}.${key}`, depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}
