import { MAX_REQUEST_BYTES, askGate, claudeCodeHookOutput, clientOptions } from '../../core/gate/client';
// The store's index loads SQLite; the hook path must not, so it takes the one pure helper.
import { defaultHome } from '../../core/store/paths';

/** What the hook process does: text for stdout and stderr, and the exit code. */
export interface HookResult {
  code: 0 | 2;
  stdout: string;
  stderr: string;
}

/** Claude Code reads exit 2 as "block, with stderr as the reason"; exit 1 would let the call through. */
function blocked(reason: string): HookResult {
  return { code: 2, stdout: '', stderr: `CAVRA denied this tool call: ${reason}\n` };
}

/** How long the hook waits for Claude Code to finish writing the hook input. */
const STDIN_TIMEOUT_MS = 10_000;

export function readHookInput(stdin: NodeJS.ReadableStream, limit = MAX_REQUEST_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(
      () => reject(new Error(`no complete hook input within ${STDIN_TIMEOUT_MS} ms`)),
      STDIN_TIMEOUT_MS,
    );
    stdin.on('data', (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > limit) {
        clearTimeout(timer);
        reject(new Error(`the hook input is larger than ${limit} bytes`));
        return;
      }
      chunks.push(buffer);
    });
    stdin.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    stdin.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * `cavra hook claude-code`: the PreToolUse hook input on stdin, the gate's answer as the
 * hook output on stdout (exit 0). Any failure — bad input, no gate, a gate that hangs or
 * answers garbage — is exit 2 with the reason on stderr, which Claude Code enforces as a
 * block. The tool mapping lives in the gate, so this process stays small.
 */
export async function runClaudeCodeHook(input: Promise<string>, env: NodeJS.ProcessEnv): Promise<HookResult> {
  let text: string;
  try {
    text = await input;
  } catch (error) {
    return blocked(`the hook input could not be read (${error instanceof Error ? error.message : String(error)})`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return blocked('the hook input is not JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return blocked('the hook input is not a JSON object');
  }
  const answer = await askGate(
    {
      op: 'claude-code',
      input: payload,
      ...(env.CAVRA_TENANT ? { tenant: env.CAVRA_TENANT } : {}),
      ...(env.CAVRA_ACTOR ? { actor: env.CAVRA_ACTOR } : {}),
    },
    clientOptions(defaultHome(env), env, env.CAVRA_TENANT),
  );
  if (answer.failed) return blocked(answer.reason);
  return { code: 0, stdout: `${claudeCodeHookOutput(answer.outcome, answer.reason)}\n`, stderr: '' };
}
