import crypto from 'node:crypto';
import { yamlLibrary } from './yaml-library';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { actionSchema } from '../contract';
import { compilePack, RuleShapeError } from './compile';
import type { CompiledPack } from './compile';
import { packDocumentSchema } from './pack-schema';
import { preparsedDocument } from './preparsed';
import type { PackDocument } from './pack-schema';

/** A problem in a pack file, positioned so an editor can jump to it. */
export interface PackError {
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  /** The offending key, e.g. `rules[3].decision`; empty for a file-level problem. */
  key: string;
  message: string;
}

export function formatPackError(error: PackError): string {
  return `${error.file}:${error.line}:${error.column}: ${error.key ? `${error.key}: ` : ''}${error.message}`;
}

export class PackLoadError extends Error {
  constructor(readonly errors: PackError[]) {
    super(errors.map(formatPackError).join('\n'));
    this.name = 'PackLoadError';
  }
}

export interface LoadedPack {
  file: string;
  text: string;
  sha256: string;
  document: PackDocument;
  compiled: CompiledPack;
}

const MAX_PACK_BYTES = 4 * 1024 * 1024;
const MAX_REPORTED = 25;

type PathSegment = string | number;

function keyOf(path: readonly PathSegment[]): string {
  return path.reduce<string>(
    (out, segment) => (typeof segment === 'number' ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment),
    '',
  );
}

/** Byte offset of the node at `path` (or of its key), or of the nearest ancestor that exists. */
function offsetOf(doc: Document, path: readonly PathSegment[], pointAtKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = (node as { range?: [number, number] } | null)?.range?.[0] ?? 0;
  const { isMap, isScalar, isSeq } = yamlLibrary();
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      const keyStart = (pair.key as { range?: [number, number] }).range?.[0] ?? offset;
      if (pointAtKey && i === path.length - 1) return keyStart;
      node = pair.value;
      offset = (node as { range?: [number, number] } | null)?.range?.[0] ?? keyStart;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      node = item;
      offset = (item as { range?: [number, number] }).range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

/** The value at a path of the parsed YAML, for messages that say what was found. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function issueMessage(issue: z.core.$ZodIssue, raw: unknown): string {
  if (issue.code === 'invalid_type') {
    // zod reports no input unless asked, so presence is read from the document itself.
    const value = valueAt(raw, issue.path);
    if (value === undefined) return 'is required';
    const expected =
      issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`;
    return `expected ${expected}, not ${kindOf(value)}`;
  }
  if (issue.code === 'unrecognized_keys') return 'is not a known field';
  if (issue.code === 'invalid_union' && issue.path[issue.path.length - 1] === 'action') {
    return 'must be an action type or a list of them: read_file, write_file, execute_command, git_operation, mcp_tool_call';
  }
  return issue.message;
}

/**
 * Parses, validates and compiles a pack. Every problem (YAML syntax, schema, rule shape,
 * pattern syntax, dangling references, malformed test actions) is reported with file,
 * line, column and key; nothing partial is ever returned.
 */
export function loadPack(text: string, file: string, home: string): LoadedPack {
  if (Buffer.byteLength(text, 'utf8') > MAX_PACK_BYTES) {
    throw new PackLoadError([{ file, line: 1, column: 1, key: '', message: `is larger than ${MAX_PACK_BYTES} bytes` }]);
  }
  const sha256 = crypto.createHash('sha256').update(text, 'utf8').digest('hex');
  // A built-in pack whose text is exactly the one built was parsed and validated then.
  const built = preparsedDocument(sha256);
  if (built !== null) {
    try {
      return { file, text, sha256, document: built, compiled: compilePack(built, sha256, home) };
    } catch {
      // Reported with its position by the full reading below.
    }
  }
  const { LineCounter, parseDocument } = yamlLibrary();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const errors: PackError[] = [];
  const at = (offset: number, key: string, message: string) => {
    if (errors.length >= MAX_REPORTED) return;
    const pos = lines.linePos(offset);
    errors.push({ file, line: pos.line, column: pos.col, key, message });
  };
  for (const error of doc.errors) at(error.pos[0], '', error.message.split('\n')[0] ?? error.message);
  if (errors.length > 0) throw new PackLoadError(errors);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    at(0, '', error instanceof Error ? error.message : String(error));
    throw new PackLoadError(errors);
  }
  const parsed = packDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const path = [...issue.path, key] as PathSegment[];
          at(offsetOf(doc, path, true), keyOf(path), issueMessage(issue, raw));
        }
      } else {
        const path = issue.path as PathSegment[];
        at(offsetOf(doc, path, false), keyOf(path), issueMessage(issue, raw));
      }
    }
    throw new PackLoadError(errors);
  }
  const document = parsed.data;
  const blame = (path: PathSegment[], message: string, pointAtKey = false) =>
    at(offsetOf(doc, path, pointAtKey), keyOf(path), message);

  const routes = document.approval_routes ?? {};
  if (document.defaults?.approval_route && !(document.defaults.approval_route in routes)) {
    blame(['defaults', 'approval_route'], `names no route in approval_routes`);
  }
  const seen = new Map<string, number>();
  document.rules.forEach((rule, i) => {
    const earlier = seen.get(rule.id);
    if (earlier !== undefined) blame(['rules', i, 'id'], `"${rule.id}" is already the id of rules[${earlier}]`);
    else seen.set(rule.id, i);
    if (rule.approval_route && !(rule.approval_route in routes)) {
      blame(['rules', i, 'approval_route'], `"${rule.approval_route}" names no route in approval_routes`);
    }
    if (rule.approval_route && rule.decision !== 'require_approval') {
      blame(['rules', i, 'approval_route'], `only applies to require_approval, not ${rule.decision}`);
    }
  });
  (document.tests ?? []).forEach((test, i) => {
    const action = actionSchema.safeParse(test.action);
    if (!action.success) {
      const issue = action.error.issues[0];
      const path = ['tests', i, 'action', ...((issue?.path ?? []) as PathSegment[])];
      blame(path, issue ? issueMessage(issue, test.action) : 'is not a valid action');
    }
    if (test.rule !== undefined && !seen.has(test.rule))
      blame(['tests', i, 'rule'], `"${test.rule}" is not a rule of this pack`);
  });
  if (errors.length > 0) throw new PackLoadError(errors);

  let compiled: CompiledPack | null = null;
  try {
    compiled = compilePack(document, sha256, home);
  } catch {
    // Find which rule failed, so the error points at it.
    document.rules.forEach((rule, i) => {
      try {
        compilePack({ ...document, rules: [rule] }, sha256, home);
      } catch (error) {
        const field = error instanceof RuleShapeError ? error.field : null;
        blame(
          field ? ['rules', i, field] : ['rules', i],
          error instanceof Error ? error.message : String(error),
          false,
        );
      }
    });
    if (errors.length === 0) at(0, '', 'could not be compiled');
    throw new PackLoadError(errors);
  }
  return { file, text, sha256, document, compiled };
}
