import { scanArguments, sliceField } from '../command-options';
import type { FileOperand, ProgramSpec, Reader } from './spec';

/**
 * Container engines: their own options before the subcommand, the host files a subcommand
 * hands to a container (`cp`, `-v host:ctr`), and what `build`/`compose` run from the directory.
 */

const DOCKER_OPTIONS = {
  values: ['-H', '--host', '--context', '-c', '--config', '--log-level', '-l', '--tlscacert', '--tlscert', '--tlskey'],
  flags: ['-D', '--debug', '--tls', '--tlsverify'],
};
const PODMAN_OPTIONS = {
  values: ['--connection', '-c', '--url', '--log-level', '--root', '--runroot'],
  flags: ['--remote', '-r'],
};

/** A container path (`ctr:/etc`), not a host file. */
const CONTAINER_PATH = /^[\w.-]+:/;

function containerEngine(options: { values: readonly string[]; flags: readonly string[] }): Reader {
  return (args) => {
    const files: FileOperand[] = [];
    // The subcommand is the first operand after the engine's own options (`docker -H h cp …`).
    const { stop } = scanArguments(args, { ...options, stopAtOperand: true });
    const verb = args[stop]?.text;
    if (verb === 'cp') {
      const [source, destination] = args.slice(stop + 1).filter((field) => !field.text.startsWith('-'));
      if (source && !CONTAINER_PATH.test(source.text)) files.push({ field: source, access: 'read', recursive: true });
      if (destination && !CONTAINER_PATH.test(destination.text))
        files.push({ field: destination, access: 'write', recursive: true });
    }
    args.forEach((field, index) => {
      // `-v ~/.ssh:/root/.ssh` hands a host directory to the container.
      const value =
        field.text === '-v' || field.text === '--volume'
          ? args[index + 1]
          : field.text.startsWith('--volume=')
            ? sliceField(field, 9)
            : null;
      if (value && /^[/~.]/.test(value.text)) {
        const [host = '', , mode] = value.text.split(':');
        files.push({
          field: { ...value, text: host },
          access: mode?.split(',').includes('ro') ? 'read' : 'readwrite',
          recursive: true,
        });
      }
    });
    return { files, scripts: [], problems: [] };
  };
}

const buildFiles = (words: readonly string[]): string[] => {
  const sub = words.find((word) => !word.startsWith('-'));
  return sub === 'build' || sub === 'compose' ? ['Dockerfile', 'docker-compose.yml', 'compose.yaml'] : [];
};

export const CONTAINER_SPECS: readonly ProgramSpec[] = [
  {
    names: ['docker'],
    options: DOCKER_OPTIONS,
    effects: containerEngine(DOCKER_OPTIONS),
    partialEffects: true,
    implicitlyRuns: buildFiles,
  },
  {
    names: ['podman'],
    options: PODMAN_OPTIONS,
    effects: containerEngine(PODMAN_OPTIONS),
    partialEffects: true,
    implicitlyRuns: buildFiles,
  },
];
