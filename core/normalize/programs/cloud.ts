import { isRemote } from './remote';
import type { FileOperand, ProgramSpec, Reader } from './spec';

/**
 * Cloud CLIs: their global options before the service and verb, and the local files a copy
 * (`aws s3 cp`, `gsutil cp`, `rclone copy`) reads or writes. Operands with a scheme
 * (`s3://`, `gs://`) or `remote:` are not local files.
 */
const cloudCopy: Reader = (args) => {
  const verb = args.findIndex((field) => ['cp', 'mv', 'sync', 'rsync', 'copy', 'move'].includes(field.text));
  const files: FileOperand[] = [];
  for (const field of args) {
    if (/^fileb?:\/\//.test(field.text))
      files.push({ field: { ...field, text: field.text.replace(/^fileb?:\/\//, '') }, access: 'read' });
  }
  if (verb === -1) return { files, scripts: [], problems: [] };
  const operandsAfter = args.slice(verb + 1).filter((field) => !field.text.startsWith('-'));
  const local = operandsAfter.filter((field) => !isRemote(field.text));
  const destination = operandsAfter[operandsAfter.length - 1];
  for (const field of local)
    files.push({
      field,
      access: field === destination && operandsAfter.length > 1 ? 'write' : 'read',
      recursive: true,
    });
  return { files, scripts: [], problems: [] };
};

const copyOnly = { effects: cloudCopy, partialEffects: true } as const;

export const CLOUD_SPECS: readonly ProgramSpec[] = [
  {
    names: ['aws'],
    options: {
      values: [
        '--profile',
        '--region',
        '--output',
        '--endpoint-url',
        '--query',
        '--cli-read-timeout',
        '--cli-connect-timeout',
        '--ca-bundle',
        '--color',
        '--cli-binary-format',
      ],
      flags: [
        '--debug',
        '--no-verify-ssl',
        '--no-paginate',
        '--no-sign-request',
        '--no-cli-pager',
        '--cli-auto-prompt',
        '--no-cli-auto-prompt',
      ],
    },
    ...copyOnly,
  },
  {
    names: ['gcloud'],
    options: {
      values: [
        '--project',
        '--account',
        '--configuration',
        '--verbosity',
        '--format',
        '--impersonate-service-account',
        '--billing-project',
        '--flags-file',
        '--flatten',
        '--trace-token',
      ],
      flags: ['--quiet', '-q', '--log-http', '--user-output-enabled', '--no-user-output-enabled'],
    },
    ...copyOnly,
  },
  {
    names: ['az'],
    options: {
      values: ['--subscription', '--output', '-o', '--query'],
      flags: ['--debug', '--verbose', '--only-show-errors', '--yes', '-y'],
    },
    ...copyOnly,
  },
  { names: ['gsutil', 'rclone'], ...copyOnly },
];
