import type { Field } from './shell-words';

/** How a program reads its options, as far as telling option values from operands needs. */
export interface OptionGrammar {
  /** Options taking a value: `-o`, `--output`. */
  values?: readonly string[];
  /** Options taking two values: `jq --arg name value`. */
  pairs?: readonly string[];
  /** Options taking no value; when given, any other option is reported as unknown. */
  flags?: readonly string[];
  /** Long options may be shortened to an unambiguous prefix (getopt_long). */
  abbreviations?: boolean;
  /** Every `-word` is one option (`find -name`, `openssl -in`): no clusters of letters. */
  singleDash?: boolean;
  /** Options end at the first operand (wrappers, POSIX utilities); else they may follow operands. */
  stopAtOperand?: boolean;
}

interface ScannedOption {
  name: string;
  value: Field | null;
  /** Both values of a `pairs` option. */
  second?: Field | null;
}

export interface ScannedArguments {
  options: ScannedOption[];
  operands: Field[];
  /** With stopAtOperand: the index of the first operand (or args.length). */
  stop: number;
  /** Options the grammar does not know that could have taken the next word as their value. */
  unknown: string[];
}

interface CompiledGrammar {
  values: Set<string>;
  pairs: Set<string>;
  flags: Set<string> | null;
  longs: string[];
}

const compiled = new WeakMap<OptionGrammar, CompiledGrammar>();

function compile(grammar: OptionGrammar): CompiledGrammar {
  let entry = compiled.get(grammar);
  if (!entry) {
    const values = new Set(grammar.values ?? []);
    const pairs = new Set(grammar.pairs ?? []);
    const flags = grammar.flags ? new Set(grammar.flags) : null;
    entry = { values, pairs, flags, longs: [...values, ...pairs].filter((name) => name.startsWith('--')) };
    compiled.set(grammar, entry);
  }
  return entry;
}

export function sliceField(field: Field, from: number): Field {
  return { ...field, text: field.text.slice(from) };
}

/** Splits arguments into options (with their values) and operands, as getopt would. */
export function scanArguments(args: readonly Field[], grammar: OptionGrammar): ScannedArguments {
  const { values, pairs, flags, longs } = compile(grammar);
  const isUnknown = (name: string) => flags !== null && !flags.has(name) && !values.has(name) && !pairs.has(name);
  const options: ScannedOption[] = [];
  const operands: Field[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const field = args[i] as Field;
    const text = field.text;
    if (text === '--') {
      if (grammar.stopAtOperand) return { options, operands: args.slice(i + 1), stop: i + 1, unknown };
      operands.push(...args.slice(i + 1));
      break;
    }
    if (text.length < 2 || text[0] !== '-' || field.dynamic) {
      if (grammar.stopAtOperand) return { options, operands: args.slice(i), stop: i, unknown };
      operands.push(field);
      continue;
    }
    if (text.startsWith('--') || grammar.singleDash) {
      const eq = text.indexOf('=');
      let name = eq === -1 ? text : text.slice(0, eq);
      if (grammar.abbreviations && name.startsWith('--') && !values.has(name) && !pairs.has(name)) {
        const matches = longs.filter((long) => long.startsWith(name));
        if (matches.length === 1 && !flags?.has(name)) name = matches[0] as string;
      }
      if (eq !== -1) {
        options.push({ name, value: sliceField(field, eq + 1) });
      } else if (pairs.has(name)) {
        options.push({ name, value: args[i + 1] ?? null, second: args[i + 2] ?? null });
        i += 2;
      } else if (values.has(name)) {
        options.push({ name, value: args[++i] ?? null });
      } else {
        if (isUnknown(name)) unknown.push(name);
        options.push({ name, value: null });
      }
      continue;
    }
    for (let j = 1; j < text.length; j++) {
      const name = `-${text[j]}`;
      if (values.has(name)) {
        options.push({ name, value: j + 1 < text.length ? sliceField(field, j + 1) : (args[++i] ?? null) });
        break;
      }
      if (j === text.length - 1 && isUnknown(name)) unknown.push(name);
      options.push({ name, value: null });
    }
  }
  return { options, operands, stop: args.length, unknown };
}

export function hasOption(scanned: ScannedArguments, ...names: string[]): boolean {
  return scanned.options.some((option) => names.includes(option.name));
}

export function optionValues(scanned: ScannedArguments, ...names: string[]): Field[] {
  const out: Field[] = [];
  for (const option of scanned.options) if (names.includes(option.name) && option.value) out.push(option.value);
  return out;
}
