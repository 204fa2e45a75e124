import type { Field } from '../shell-words';

/**
 * Where downloads land (SPEC §3: download-then-run): the files and directories a network
 * fetch writes, so that running one later, in the same action or a later action of the same
 * agent session, is known to run code from the network.
 */

const URL = /^(https?|ftp|ftps|sftp|scp|git|ssh):\/\/|^git@|^[\w.-]+@[\w.-]+:/i;

function urlName(url: string): string | null {
  const path = url.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name === '' || name.includes(':') ? null : name;
}

function valueOf(args: readonly Field[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const text = (args[i] as Field).text;
    for (const name of names) {
      if (text === name && args[i + 1]) out.push((args[i + 1] as Field).text);
      else if (name.startsWith('--') && text.startsWith(`${name}=`)) out.push(text.slice(name.length + 1));
      else if (!name.startsWith('--') && text.startsWith(name) && text.length > name.length && !text.startsWith('--'))
        out.push(text.slice(name.length));
    }
  }
  return out;
}

const CLONE_VALUES = new Set([
  '--depth',
  '-b',
  '--branch',
  '-o',
  '--origin',
  '--reference',
  '--reference-if-able',
  '-c',
  '--config',
  '--template',
  '--separate-git-dir',
  '--filter',
  '-j',
  '--jobs',
  '--shallow-since',
  '--shallow-exclude',
  '-u',
  '--upload-pack',
  '--server-option',
  '--bundle-uri',
]);

/** Paths (as written, relative to the command's directory) a program downloads into; empty for other programs. */
export function downloadTargets(program: string, args: readonly Field[]): string[] {
  const urls = args.filter((field) => URL.test(field.text)).map((field) => field.text);
  switch (program) {
    case 'curl': {
      const outputs = valueOf(args, ['-o', '--output']);
      const directory = valueOf(args, ['--output-dir'])[0];
      const remoteName = args.some(
        (field) =>
          /^-[a-zA-Z]*O[a-zA-Z]*$/.test(field.text) ||
          field.text === '--remote-name' ||
          field.text === '--remote-name-all',
      );
      if (remoteName)
        for (const url of urls) {
          const name = urlName(url);
          if (name) outputs.push(directory ? `${directory}/${name}` : name);
        }
      // `curl -sSLo file URL`: -o clustered with other letters takes the next word.
      for (let i = 0; i < args.length; i++) {
        const text = (args[i] as Field).text;
        if (/^-[a-zA-Z]*o$/.test(text) && text !== '-o' && args[i + 1]) outputs.push((args[i + 1] as Field).text);
      }
      return outputs.filter((output) => output !== '-');
    }
    case 'wget': {
      const outputs = valueOf(args, ['-O', '--output-document']).filter((output) => output !== '-');
      if (outputs.length > 0) return outputs;
      if (args.some((field) => /^-[a-zA-Z]*O$/.test(field.text))) {
        for (let i = 0; i < args.length; i++) {
          const text = (args[i] as Field).text;
          if (/^-[a-zA-Z]*O$/.test(text) && args[i + 1] && (args[i + 1] as Field).text !== '-')
            outputs.push((args[i + 1] as Field).text);
        }
        return outputs;
      }
      const prefix = valueOf(args, ['-P', '--directory-prefix'])[0];
      return urls
        .map(urlName)
        .filter((name): name is string => name !== null)
        .map((name) => (prefix ? `${prefix}/${name}` : name));
    }
    case 'aria2c':
    case 'fetch':
    case 'http':
    case 'xh':
      return [...valueOf(args, ['-o', '--out', '--output', '-d', '--dir'])];
    case 'git': {
      const index = args.findIndex((field) => field.text === 'clone');
      if (index === -1) return [];
      const operands: string[] = [];
      const rest = args.slice(index + 1);
      for (let i = 0; i < rest.length; i++) {
        const text = (rest[i] as Field).text;
        if (CLONE_VALUES.has(text)) i++;
        else if (!text.startsWith('-')) operands.push(text);
      }
      const [url, directory] = operands;
      if (directory) return [directory];
      const name = url ? urlName(url)?.replace(/\.git$/, '') : null;
      return name ? [name] : [];
    }
    case 'scp':
    case 'rsync': {
      const operands = args.filter((field) => !field.text.startsWith('-')).map((field) => field.text);
      const last = operands[operands.length - 1];
      const remoteSource = operands.slice(0, -1).some((operand) => /^[^/]*:/.test(operand));
      return remoteSource && last && !/^[^/]*:/.test(last) ? [last] : [];
    }
    case 'gh':
      return args[0]?.text === 'release' && args[1]?.text === 'download'
        ? ['.', ...valueOf(args, ['-D', '--dir', '-O', '--output'])]
        : [];
    default:
      return [];
  }
}
