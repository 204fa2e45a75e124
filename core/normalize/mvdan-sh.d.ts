// Only what `shell-syntax.ts` uses: the parser's wrapper API. The syntax tree itself is read
// through the GopherJS objects behind `__internal_object__`, typed in `shell-syntax.ts`.
declare module 'mvdan-sh' {
  interface ParsedFile {
    readonly __internal_object__: unknown;
  }
  interface Parser {
    Parse(src: string, name: string): ParsedFile;
  }
  const mvdanSh: {
    syntax: {
      NewParser(): Parser;
    };
  };
  export default mvdanSh;
}
