import { type Extraction, childScope } from './extraction';
import type { Access } from './paths';
import type { McpCall } from './types';

const MAX_NODES = 2000;
const MAX_NESTING = 8;

/** Argument keys that name files, compared without case, `_` or `-` (`file_path`, `filePath`). */
const PATH_KEY =
  /^(path|paths|file|files|filename|filenames|source|sources|src|destination|dest|dst|target|directory|directories|dir|dirs|cwd|root|workdir|workingdirectory|uri|uris|location|folder|from|to|input|output)$|(path|paths|file|files|filename|dir|directory|directories|folder|uri)$/;
const SOURCE_KEY = /^(source|sources|src|from|oldpath|sourcepath|origin)$/;
const DESTINATION_KEY = /^(destination|dest|dst|to|target|newpath|destinationpath|targetpath)$/;
const WRITE_VERBS = new Set([
  'write',
  'edit',
  'create',
  'move',
  'mv',
  'delete',
  'del',
  'remove',
  'rm',
  'rename',
  'mkdir',
  'upload',
  'put',
  'patch',
  'update',
  'append',
  'insert',
  'replace',
  'set',
  'save',
  'copy',
  'cp',
  'touch',
  'chmod',
  'truncate',
  'overwrite',
  'modify',
  'apply',
  'commit',
  'push',
  'unlink',
  'rmdir',
  'store',
  'add',
]);
const RUNS_COMMANDS = /(exec|run|shell|bash|command|terminal|process|spawn|script|cmd)/i;
const COMMAND_KEY = /^(command|cmd|script|commandline|shellcommand)$/;

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Plain strings that are evidently paths: absolute, home-relative, `./x`, `file://`, a dot file. */
function looksLikePath(value: string): boolean {
  if (value.length === 0 || value.length > 4096 || /[\n\r]/.test(value)) return false;
  if (/^(\/|~(\/|$)|\.{1,2}[/\\]|file:\/\/|[A-Za-z]:[\\/])/.test(value)) return true;
  if (/\s/.test(value) || /^[a-z][a-z0-9+.-]*:/i.test(value)) return false;
  return /^\.[\w.-]+$/.test(value) || (/[/\\]/.test(value) && /[\w.]/.test(value));
}

/**
 * Client requests other than `tools/call` that can carry a path or URI to the server. The MCP
 * proxy judges each as a call of a "tool" named for the method with the request's params as its
 * arguments, so these are judged here, in the one place MCP arguments become paths.
 */
export const MCP_JUDGED_METHODS: readonly string[] = [
  'resources/read',
  'resources/subscribe',
  'prompts/get',
  'completion/complete',
];
const RESOURCE_METHODS = new Set(['resources/read', 'resources/subscribe']);

/**
 * The file a `resources/read` URI names, or null with a problem saying why it names none. Only an
 * absolute `file://` URI with no host (or `localhost`) maps; a URI the server may resolve some
 * other way (another scheme, a remote host, an encoded `.`, `/`, `\` or NUL that could decode to a
 * different path than the one judged, a query or fragment, a relative reference) cannot be
 * judged as a file, so it needs a reviewer; a NUL is malformed.
 */
function resourceFile(extraction: Extraction, label: string, uri: unknown): string | null {
  if (typeof uri !== 'string' || uri === '') {
    extraction.problem('unsupported', `${label} names no resource uri`);
    return null;
  }
  const shown = JSON.stringify(uri.slice(0, 200));
  if (/%00/.test(uri) || uri.includes('\u0000')) {
    extraction.problem('malformed', `${label} resource ${shown} contains a NUL byte`);
    return null;
  }
  const match = /^file:\/\/([^/?#]*)(\/[^?#]*)$/i.exec(uri);
  if (!match) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1];
    extraction.problem(
      'unsupported',
      scheme
        ? `${label} resource ${shown} (scheme ${scheme}:) cannot be mapped to a file to judge`
        : `${label} resource ${shown} is not an absolute file:// URI`,
    );
    return null;
  }
  const [, host, encoded] = match as unknown as [string, string, string];
  if (host !== '' && host.toLowerCase() !== 'localhost') {
    extraction.problem(
      'unsupported',
      `${label} resource ${shown} names host ${JSON.stringify(host)}, not this machine`,
    );
    return null;
  }
  let file: string;
  try {
    file = decodeURIComponent(encoded);
  } catch {
    extraction.problem('unsupported', `${label} resource ${shown} is not a valid percent-encoded URI`);
    return null;
  }
  const control = [...file].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (/%(2e|2f|5c)/i.test(encoded) || control) {
    extraction.problem('unsupported', `${label} resource ${shown} encodes a path separator, dot or control character`);
    return null;
  }
  return file;
}

/**
 * What a completion request says the user typed: the argument being completed and the ones
 * already given, by name (the `ref` only names the prompt or resource template being completed).
 */
function completionArguments(params: Record<string, unknown>): Record<string, unknown> {
  const record = (value: unknown): Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const argument = record(params.argument);
  const given = record(record(params.context).arguments);
  const name = typeof argument.name === 'string' ? argument.name : 'value';
  return { arguments: given, [name]: argument.value };
}

/** The MCP call itself, path-like arguments judged as files, and shell commands a tool runs. */
export function readMcp(extraction: Extraction, call: McpCall): void {
  const label = `${call.server}/${call.tool}`;
  if (RESOURCE_METHODS.has(call.tool)) {
    // A resource read is a file read when its URI maps to a file; nothing else in it names one.
    const file = resourceFile(extraction, label, call.arguments.uri);
    if (file !== null) extraction.addPath(file, { access: 'read', source: 'mcp', via: label });
    return;
  }
  const verbs = words(call.tool);
  const writes = verbs.some((verb) => WRITE_VERBS.has(verb));
  const moves = verbs.some((verb) => verb === 'move' || verb === 'mv' || verb === 'rename');
  let nodes = 0;
  // Past a limit the rest of the arguments go unexamined, so the call must not pass on what was
  // seen: the problem makes it at least require_approval, and names the limit.
  const visit = (value: unknown, key: string | null, keyed: boolean, depth: number): void => {
    if (++nodes > MAX_NODES) {
      extraction.problem(
        'too_large',
        `the arguments of ${label} have more than ${MAX_NODES} values; the rest was not examined`,
      );
      return;
    }
    if (depth > MAX_NESTING) {
      extraction.problem('depth_exceeded', `the arguments of ${label} are nested deeper than ${MAX_NESTING} levels`);
      return;
    }
    if (typeof value === 'string') {
      if (!keyed && !looksLikePath(value)) return;
      if (value.trim() === '' || (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !/^file:/i.test(value))) return;
      let access: Access = writes ? 'write' : 'read';
      if (key !== null && SOURCE_KEY.test(key)) access = moves ? 'readwrite' : 'read';
      if (key !== null && DESTINATION_KEY.test(key) && writes) access = 'write';
      extraction.addPath(value, {
        access,
        source: 'mcp',
        via: label,
        ...(/[*?]/.test(value) ? { pattern: true } : {}),
      });
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key, keyed, depth + 1);
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [name, inner] of Object.entries(value)) {
        const normalized = name.toLowerCase().replace(/[_-]/g, '');
        visit(inner, normalized, PATH_KEY.test(normalized), depth + 1);
      }
    }
  };
  visit(call.tool === 'completion/complete' ? completionArguments(call.arguments) : call.arguments, null, false, 0);
  if (RUNS_COMMANDS.test(call.tool)) {
    for (const [name, value] of Object.entries(call.arguments)) {
      if (!COMMAND_KEY.test(name.toLowerCase().replace(/[_-]/g, ''))) continue;
      const command =
        typeof value === 'string' ? value : Array.isArray(value) ? value.map(String).map(quote).join(' ') : null;
      if (command === null) continue;
      const args = call.arguments.args ?? call.arguments.arguments ?? call.arguments.argv;
      const extra = Array.isArray(args) ? ` ${args.map(String).map(quote).join(' ')}` : '';
      const root = { depth: -1, wrappers: [], positional: null, input: null, constants: false };
      extraction.script(command + extra, childScope(root, `mcp ${label}`));
    }
  }
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
