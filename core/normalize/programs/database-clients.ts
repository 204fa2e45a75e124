import type { ProgramSpec } from './spec';

/**
 * Database clients (issue 9, acceptance 5): where each takes statements from on its command line
 * (its options that take a value), and the dialect its statements are read in (sql.ts). The
 * normalizer judges every statement as an `sql` command; shell text it runs as a script.
 */
export const DATABASE_CLIENT_SPECS: readonly ProgramSpec[] = [
  {
    names: ['sqlite3', 'sqlite'],
    databaseClient: {
      dialect: 'sqlite3',
      grammar: {
        values: [
          '-cmd',
          '-init',
          '-separator',
          '-nullvalue',
          '-newline',
          '-vfs',
          '-mmap',
          '-lookaside',
          '-pagecache',
          '-maxsize',
        ],
        singleDash: true,
      },
    },
    // Its operands are the database and statements, both read by the client reader itself.
    untainted: true,
  },
  {
    names: ['psql'],
    databaseClient: {
      dialect: 'psql',
      grammar: {
        values: [
          '-c',
          '--command',
          '-f',
          '--file',
          '-d',
          '--dbname',
          '-h',
          '--host',
          '-p',
          '--port',
          '-U',
          '--username',
          '-v',
          '--set',
          '--variable',
          '-o',
          '--output',
          '-L',
          '--log-file',
          '-P',
          '--pset',
          '-F',
          '-R',
          '-T',
        ],
        abbreviations: true,
      },
    },
  },
  {
    names: ['mysql', 'mariadb'],
    databaseClient: {
      dialect: 'mysql',
      grammar: {
        values: [
          '-e',
          '--execute',
          '-h',
          '--host',
          '-P',
          '--port',
          '-u',
          '--user',
          '-D',
          '--database',
          '-S',
          '--socket',
          '--defaults-file',
          '--defaults-extra-file',
          '--init-command',
          '--tee',
          '--pager',
        ],
        abbreviations: true,
      },
    },
  },
  {
    names: ['redis-cli'],
    databaseClient: {
      dialect: 'redis-cli',
      grammar: {
        values: [
          '-h',
          '-p',
          '-s',
          '-a',
          '--user',
          '--pass',
          '-u',
          '-n',
          '-r',
          '-i',
          '-d',
          '-D',
          '--eval',
          '--tls',
          '--cacert',
          '--cert',
          '--key',
          '--rdb',
          '--functions-rdb',
        ],
        stopAtOperand: true,
      },
    },
  },
];
