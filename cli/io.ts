/** What a command may touch of its process: streams and environment, injectable for tests. */
export interface CliIO {
  readStdin(): Promise<string>;
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  /** Words after `cavra`, e.g. `tenants list`. */
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit code. Throw UsageError for bad arguments (exit 1 with the usage). */
  run(args: string[], io: CliIO): Promise<number>;
}

/** What `--json` prints: the value indented by two spaces, then a newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function processIO(): CliIO {
  return {
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}
