import { describe, expect, it } from 'vitest';
import { allCommands, commandsStartingWith, listedWords } from '.';

// A `cavra` process loads only the command modules listed under the first word it was given:
// a command whose first word is not listed with its own module could never be run.
describe('the command modules, loaded by first word', () => {
  it('finds every command from its first word alone, and each name once', async () => {
    const all = await allCommands();
    expect(all.length).toBeGreaterThan(60);
    const names = all.map((command) => command.name);
    expect(new Set(names).size).toBe(names.length);
    for (const command of all) {
      const first = command.name.split(' ')[0] as string;
      expect(listedWords(), `"${command.name}" is not listed under "${first}"`).toContain(first);
      expect((await commandsStartingWith(first)).map((found) => found.name)).toContain(command.name);
    }
  });

  it('lists no word without a command', async () => {
    const firstWords = new Set((await allCommands()).map((command) => command.name.split(' ')[0] as string));
    expect([...listedWords()].sort()).toEqual([...firstWords].sort());
  });
});
