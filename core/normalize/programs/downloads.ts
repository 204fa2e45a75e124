import type { Field } from '../shell-words';

/**
 * Where downloads land (SPEC §3: download-then-run): the files and directories a network
 * fetch writes, so that running one later, in the same action or a later action of the same
 * agent session, is known to run code from the network.
 */

const URL = /^(https?|ftp|ftps|sftp|scp|git|ssh):\/\/|^git@|^[\w.-]+@[\w.-]+:/i;

/** The file name a URL's path ends in, if any. */
export function urlName(url: string): string | null {
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

// Each function below is the download part of one program's spec: the reader (effects.ts) or the
// program spec (registry.ts) of that program returns it as its effects' `downloads`.

const urlsIn = (args: readonly Field[]): string[] =>
  args.filter((field) => URL.test(field.text)).map((field) => field.text);

/** `curl -o f URL`, `curl -O URL` (named after the URL), `curl -sSLo f URL`. */
export function curlDownloads(args: readonly Field[]): string[] {
  const outputs = valueOf(args, ['-o', '--output']);
  const directory = valueOf(args, ['--output-dir'])[0];
  const remoteName = args.some(
    (field) =>
      /^-[a-zA-Z]*O[a-zA-Z]*$/.test(field.text) || field.text === '--remote-name' || field.text === '--remote-name-all',
  );
  if (remoteName)
    for (const url of urlsIn(args)) {
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

/** `wget -O f URL`, `wget URL` (named after the URL, under `-P dir`). */
export function wgetDownloads(args: readonly Field[]): string[] {
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
  return urlsIn(args)
    .map(urlName)
    .filter((name): name is string => name !== null)
    .map((name) => (prefix ? `${prefix}/${name}` : name));
}

/** `aria2c -o f`, `http --download -o f`, `xh -o f`, `fetch -o f`. */
export function outputOptionDownloads(args: readonly Field[]): string[] {
  return valueOf(args, ['-o', '--out', '--output', '-d', '--dir']);
}

/** `scp host:f .`, `rsync -a host:dir/ dir`: a remote source copied to a local destination. */
export function remoteCopyDownloads(args: readonly Field[]): string[] {
  const operands = args.filter((field) => !field.text.startsWith('-')).map((field) => field.text);
  const last = operands[operands.length - 1];
  const remoteSource = operands.slice(0, -1).some((operand) => /^[^/]*:/.test(operand));
  return remoteSource && last && !/^[^/]*:/.test(last) ? [last] : [];
}

/** `gh release download`: the assets land in the directory (or `-D dir`, `-O file`). */
export function ghDownloads(args: readonly Field[]): string[] {
  return args[0]?.text === 'release' && args[1]?.text === 'download'
    ? ['.', ...valueOf(args, ['-D', '--dir', '-O', '--output'])]
    : [];
}
