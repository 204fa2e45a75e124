/**
 * GNU sed scripts read command by command (SPEC §3: sed programs are code): `e` and the `e`
 * flag of `s` run shell text, `r`/`R` read a file into the output, `w`/`W` and the `w` flag
 * write one. Addresses (`1`, `$`, `/re/`, `\%re%`, ranges, `!`) may stand before any command,
 * and a file name runs to the end of the line, as GNU sed reads it.
 */
export interface SedReading {
  /** Shell text run by `e COMMAND`; an empty string for `e` alone or the `s///e` flag (the pattern space). */
  executes: string[];
  files: { text: string; access: 'read' | 'write' }[];
}

export function readSedScript(script: string): SedReading {
  const reading: SedReading = { executes: [], files: [] };
  let i = 0;
  const n = script.length;
  const restOfLine = (): string => {
    const end = script.indexOf('\n', i);
    const text = script.slice(i, end === -1 ? n : end);
    i = end === -1 ? n : end + 1;
    return text;
  };
  const skipDelimited = (delimiter: string): void => {
    while (i < n && script[i] !== delimiter) i += script[i] === '\\' ? 2 : 1;
    i++;
  };
  const address = (): void => {
    const ch = script[i];
    if (ch === undefined) return;
    if (/[0-9$+~]/.test(ch)) {
      while (i < n && /[0-9$+~]/.test(script[i] as string)) i++;
    } else if (ch === '/') {
      i++;
      skipDelimited('/');
      while (i < n && /[IM]/.test(script[i] as string)) i++;
    } else if (ch === '\\' && i + 1 < n) {
      const delimiter = script[i + 1] as string;
      i += 2;
      skipDelimited(delimiter);
      while (i < n && /[IM]/.test(script[i] as string)) i++;
    }
  };
  while (i < n) {
    while (i < n && /[\s;{}]/.test(script[i] as string)) i++;
    if (i >= n) break;
    address();
    while (i < n && /[ \t]/.test(script[i] as string)) i++;
    if (script[i] === ',') {
      i++;
      while (i < n && /[ \t]/.test(script[i] as string)) i++;
      address();
    }
    while (i < n && /[ \t!]/.test(script[i] as string)) i++;
    const command = script[i];
    i++;
    switch (command) {
      case 's': {
        const delimiter = script[i] as string;
        i++;
        skipDelimited(delimiter);
        skipDelimited(delimiter);
        let flags = '';
        while (i < n && /[gpiImMe0-9w]/.test(script[i] as string)) {
          flags += script[i];
          if (script[i] === 'w') break;
          i++;
        }
        if (flags.includes('e')) reading.executes.push('');
        if (flags.endsWith('w')) {
          i++;
          const file = restOfLine().trim();
          if (file) reading.files.push({ text: file, access: 'write' });
        }
        break;
      }
      case 'y': {
        const delimiter = script[i] as string;
        i++;
        skipDelimited(delimiter);
        skipDelimited(delimiter);
        break;
      }
      case 'e':
        reading.executes.push(restOfLine().trim());
        break;
      case 'r':
      case 'R':
      case 'w':
      case 'W': {
        const file = restOfLine().trim();
        if (file) reading.files.push({ text: file, access: command === 'r' || command === 'R' ? 'read' : 'write' });
        break;
      }
      case 'a':
      case 'i':
      case 'c':
        restOfLine();
        break;
      case 'b':
      case 't':
      case 'T':
      case ':':
      case 'l':
      case 'L':
      case 'q':
      case 'Q':
        while (i < n && !/[;\n}]/.test(script[i] as string)) i++;
        break;
      default:
        break;
    }
  }
  return reading;
}
