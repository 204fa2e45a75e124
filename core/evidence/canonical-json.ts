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
  try {
    return serialize(value, 0);
  } catch (error) {
    // The fast path carries no location; find it only when there is something to report.
    if (error instanceof CanonicalJsonError)
      throw new CanonicalJsonError(`${locate(value, '$', 0) ?? '$'}: ${error.message}`);
    throw error;
  }
}

const MAYBE_SURROGATE = /[\uD800-\uDFFF]/;

/** A JSON string in canonical form; throws for lone surrogates. */
export function quote(text: string): string {
  if (MAYBE_SURROGATE.test(text) && hasLoneSurrogate(text))
    throw new CanonicalJsonError('string contains a lone surrogate');
  return JSON.stringify(text);
}

function serialize(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${String(value)} is not a JSON number`);
      // -0 serializes as "0" under ECMAScript rules; JCS keeps that.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`${typeof value} is not JSON data`);
  }
  if (value === null) return 'null';
  if (depth >= MAX_DEPTH) throw new CanonicalJsonError(`nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw new CanonicalJsonError('undefined is not JSON data');
      out += i === 0 ? serialize(item, depth + 1) : `,${serialize(item, depth + 1)}`;
    }
    return `${out}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError('only plain objects are JSON data');
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    out += `${first ? '' : ','}${quote(key)}:${serialize(member, depth + 1)}`;
    first = false;
  }
  return `${out}}`;
}

/** The path of the first value serialize() refuses, for the error message. */
function locate(value: unknown, at: string, depth: number): string | null {
  try {
    if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) {
      serialize(value, depth);
      return null;
    }
  } catch {
    return at;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (value[i] === undefined) return `${at}[${i}]`;
      const found = locate(value[i], `${at}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return at;
  for (const [key, member] of Object.entries(value)) {
    if (MAYBE_SURROGATE.test(key) && hasLoneSurrogate(key)) return at;
    if (member === undefined) continue;
    const found = locate(member, `${at}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}
