import type { Field } from './shell-words';

/**
 * Argument taint (SPEC §3): any argument word, after quote removal and expansion, and any
 * value inside an option that names a file is that file's subject, unless the program's spec
 * says the argument is harmless. These are the texts one argument may name a file by:
 *
 * - the word itself (`frobnicate .env`);
 * - an option's attached value (`--config=.env`, `-f=.env`, `-i.env`);
 * - an `@file` or `<file` reference, alone or after `name=` (`@.env`, `f=@.env`, `f=<.env`);
 * - the value of a `name=value` word (`input=.env`).
 *
 * More texts only mean more subjects: a text that names nothing protected matches no rule.
 */
export function taintedTexts(field: Field, exists: (text: string) => boolean): string[] {
  const text = field.text;
  if (text === '' || text === '-' || text === '--' || /^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return [];
  const out: string[] = [];
  const add = (candidate: string) => {
    const cleaned = candidate.replace(/^[@<]/, '');
    if (cleaned === '' || cleaned === '-' || out.includes(cleaned)) return;
    // `TCP:host:80`, `s3://b/k`, `user@host:path`: an address, not a local file name.
    if (/^[a-z][a-z0-9+.-]*:/i.test(cleaned) || /^[^/]*@[^/]*:/.test(cleaned)) return;
    // A bare word (`host`, `80`, `test`) names a file only when one exists by that name.
    if (!/[./~\\]/.test(cleaned) && !exists(cleaned)) return;
    out.push(cleaned);
  };
  if (!text.startsWith('-')) add(text);
  const eq = text.indexOf('=');
  if (eq > 0) add(text.slice(eq + 1));
  else if (/^-[A-Za-z0-9]./.test(text) && !text.startsWith('--') && /[./~]/.test(text.slice(2))) add(text.slice(2));
  return out;
}
