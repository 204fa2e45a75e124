import { parseArgs } from 'node:util';
import { actionSchema, ContractError } from '../../core/contract';
import type { Action, DecisionKind } from '../../core/contract';
import type { Command } from '../io';
import { jsonText } from '../io';
import { withCore } from '../session';

/** SPEC §13: the exit code says the decision, so scripts need not parse the JSON. */
const EXIT_CODES: Record<DecisionKind, number> = { allow: 0, warn: 0, deny: 2, require_approval: 3 };
const EXIT_BAD_INPUT = 1;

class BadInput extends Error {}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    problem: string,
  ) {
    super(problem);
  }
}

/**
 * Finds where and why JSON.parse gave up: its messages do not always name the position.
 * A small recursive-descent reading of RFC 8259, used only after JSON.parse failed.
 */
function jsonSyntaxError(text: string): { line: number; column: number; problem: string } | null {
  let i = 0;
  const fail = (problem: string): never => {
    throw new JsonSyntax(i, problem);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const describe = () => (i >= text.length ? 'the end of the input' : `\`${text[i]}\``);
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c === 92) i += 2;
      else if (c < 32) fail('a control character inside a string');
      else i++;
    }
    fail('a string that is never closed');
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (c === '{') {
          if (text[i] !== '"') fail(`${describe()} where a property name in double quotes belongs`);
          string();
          ws();
          if (text[i] !== ':') fail(`${describe()} where ":" belongs`);
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail(`${describe()} where "," or "${close}" belongs`);
      }
    }
    if (c === '"') return string();
    const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, i));
    if (literal) {
      i += literal.length;
      return;
    }
    const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    number.lastIndex = i;
    if (number.exec(text)) {
      i = number.lastIndex;
      return;
    }
    fail(`${describe()} where a value belongs`);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`${describe()} after the end of the JSON value`);
    return null;
  } catch (error) {
    if (!(error instanceof JsonSyntax)) throw error;
    const before = text.slice(0, error.offset).split('\n');
    return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1, problem: error.message };
  }
}

function parseAction(text: string): Action {
  if (text.trim() === '') throw new BadInput('stdin is empty: give the Action JSON on stdin');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const found = jsonSyntaxError(text);
    throw new BadInput(
      found
        ? `stdin is not valid JSON: line ${found.line}, column ${found.column}: ${found.problem}`
        : `stdin is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BadInput('stdin must be one Action JSON object');
  }
  const parsed = actionSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || 'action';
    const message =
      issue?.code === 'invalid_type' && issue.input === undefined ? 'is required' : (issue?.message ?? 'is invalid');
    throw new BadInput(`${field}: ${message}`);
  }
  return parsed.data;
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary:
    'Judge an Action (JSON on stdin): Decision JSON on stdout; exit 0 allow/warn, 2 deny, 3 approval, 1 bad input',
  usage: 'cavra evaluate [--tenant T] [--dry-run]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, 'dry-run': { type: 'boolean' } },
      strict: true,
    });
    let action: Action;
    try {
      action = parseAction(await io.readStdin());
      if (values.tenant !== undefined && action.tenant !== undefined && values.tenant !== action.tenant) {
        throw new BadInput(`--tenant ${values.tenant} and the action's tenant ${action.tenant} disagree`);
      }
    } catch (error) {
      if (!(error instanceof BadInput)) throw error;
      io.stderr(`cavra evaluate: ${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    return withCore(io, async (client) => {
      const tenant = values.tenant ?? action.tenant ?? (await client.call('system.info', {})).defaultTenant;
      if (!tenant) {
        io.stderr('cavra evaluate: no tenant: give --tenant or "tenant" in the action\n');
        return EXIT_BAD_INPUT;
      }
      try {
        // A dry run is a simulation and is never recorded; otherwise the decision is appended
        // to the tenant's evidence ledger before it is printed (the policy service's evidence seam).
        const decision = values['dry-run']
          ? (await client.call('policy.simulate', { action }, { tenant })).decision
          : await client.call('policy.evaluate', { action }, { tenant });
        io.stdout(jsonText(decision));
        return EXIT_CODES[decision.decision];
      } catch (error) {
        if (error instanceof ContractError && (error.code === 'invalid_input' || error.code === 'forbidden')) {
          io.stderr(`cavra evaluate: ${error.message}\n`);
          return EXIT_BAD_INPUT;
        }
        throw error;
      }
    });
  },
};
