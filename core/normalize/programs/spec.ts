import type { OptionGrammar } from '../command-options';
import type { Access } from '../paths';
import type { Field } from '../shell-words';
import type { WalkOptions } from '../walk';

/** A file a program reads or writes, named by one of its arguments. */
export interface FileOperand {
  field: Field;
  access: Access;
  recursive?: boolean;
  /** How a recursive program walks the directory (dot files, ignore files, name filters). */
  walk?: Partial<WalkOptions>;
}

/** A command line a program runs on its own (`tar --to-command`, `rsync -e`, `rg --pre`). */
export interface EmbeddedScript {
  text: string;
  dynamic: boolean;
  label: string;
}

/** What running a program does besides its own work: files it touches, commands it runs. */
export interface ProgramEffects {
  files: FileOperand[];
  scripts: EmbeddedScript[];
  /** Why some of its behaviour cannot be judged (`awk 'BEGIN{system(…)}'`). */
  problems: string[];
  /** Environment variables the program reads by name (`ENVIRON["X"]`, `env.X`, `printenv X`). */
  variables?: string[];
  /** Files and directories it downloads into, as written (download-then-run). */
  downloads?: string[];
}

/** Reads a program's arguments (after its name) into their effects. */
export type Reader = (args: readonly Field[], program: string) => ProgramEffects;

/** How a wrapper (`sudo`, `timeout`, `npx`) reads its own options before the command it runs. */
export interface WrapperSpec {
  grammar: OptionGrammar;
  /** Operands before the wrapped command: timeout's duration, chroot's new root, flock's lock file. */
  lead?: number;
  /** NAME=value operands before the command set its environment (`sudo`, `env`, `cross-env`). */
  assignments?: boolean;
  /** Options whose value is a shell command line (`su -c`, `flock -c`). */
  scriptOptions?: readonly string[];
  /** Options whose value is a file the wrapper touches (`time -o`). */
  files?: Record<string, Access>;
  /** Options that change the directory the command runs in (`env -C`, `sudo -D`). */
  directories?: readonly string[];
  /** Options after which the words are one shell command line (`sudo -s`, `su`'s shell). */
  shellJoin?: readonly string[];
  /** Options meaning nothing is run (`command -v`). */
  nothingRun?: readonly string[];
  /** Options meaning the operands are files edited, not a command (`sudo -e`). */
  editOptions?: readonly string[];
}

/** A database client: the dialect its statements are read in, and its command line's grammar. */
export interface DatabaseClient {
  readonly dialect: 'sqlite3' | 'psql' | 'mysql' | 'redis-cli';
  readonly grammar: OptionGrammar;
}

/**
 * Everything known about one program (issue 9, acceptance 5), for programs with more than one
 * kind of knowledge: the command matcher's option table, the normalizer's effects, what it runs.
 * The registry (registry.ts) holds each program's spec once; options.ts, effects.ts and
 * commands.ts read their part of it from there and declare the program nowhere else.
 */
export interface ProgramSpec {
  readonly names: readonly string[];
  /**
   * Its own options before a subcommand (`docker -H host run`, `npm --prefix x install`): the
   * command matcher skips them, and the normalizer finds the subcommand by them.
   */
  readonly options?: {
    readonly values: readonly string[];
    readonly flags: readonly string[];
    /** `cargo +nightly build`: a leading `+word` is an option, not a subcommand. */
    readonly plusIsOption?: boolean;
  };
  /** What its arguments do: files read or written, command lines it runs. */
  readonly effects?: Reader;
  /** The effects describe some subcommands only: every other argument stays tainted (taint.ts). */
  readonly partialEffects?: boolean;
  /** It runs the command after its own options (`sudo`, `npx`). */
  readonly wraps?: WrapperSpec;
  /** Subcommands that run the command after them (`npm exec`, `uv run`), with their own options. */
  readonly runsAfter?: { readonly subcommands: readonly string[]; readonly grammar: OptionGrammar };
  /** Options whose value says where a package comes from (`--with git+…`, `--registry`). */
  readonly packageSources?: readonly string[];
  /** The first word after its options is a package it fetches and runs (`npx github:x/y`). */
  readonly runsPackage?: boolean;
  /** Files it runs from its directory without naming them (`make` runs the Makefile). */
  readonly implicitlyRuns?: (words: readonly string[]) => readonly string[];
  /** Options naming the directory those files are in (`make -C dir`, `npm --prefix dir`). */
  readonly directoryOptions?: readonly string[];
  /** Options whose value is a file it runs (`make -f x.mk`). */
  readonly runFileOptions?: readonly string[];
  /** It runs database statements given on its command line or its input (`psql -c`, `sqlite3 db SQL`). */
  readonly databaseClient?: DatabaseClient;
  /**
   * None of its arguments is taken for a file it may read (argument taint, taint.ts): its reader
   * accounts for them (git, sqlite3), or they name no files.
   */
  readonly untainted?: boolean;
  /**
   * Its standard output may be data fetched from the network (`curl`, `nc`, `gh`): what a
   * program it pipes into unpacks came from the network (`curl … | tar xz`).
   */
  readonly fetches?: boolean;
  /** It unpacks an archive read from its standard input into a directory (`tar x`, `unzip`). */
  readonly extracts?: boolean;
  /**
   * It changes files' metadata or removes them, never their text (`chmod`, `rm`): what it
   * touches runs no new code (`chmod +x x.sh && ./x.sh` runs the file as it was).
   */
  readonly writesNoCode?: boolean;
  /** A file finder the normalizer reads itself (`find`, `fd`): its options taking a value, and those running a command per file. */
  readonly finder?: { readonly values: readonly string[]; readonly exec?: readonly string[] };
  /** It takes its code the way a shell does, from a file operand or standard input (`source FILE`, `.`). */
  readonly shellCode?: boolean;
  /** A multi-call binary: its first word names the program it runs (`busybox sh`, `toybox wget`). */
  readonly multiCall?: boolean;
}
