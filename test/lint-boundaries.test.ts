import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// HOUSE rule 1 is a lint error, not a convention: each case lints a snippet as if it lived in
// that area and expects no-restricted-imports to fire (and the allowed twin to pass).
const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function restricted(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId?.endsWith('no-restricted-imports')).map((m) => m.message);
}

describe('process purity by lint (HOUSE rule 1)', () => {
  it.each([
    ['core/policy/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
    ['core/store/x.ts', "import React from 'react';\nexport const a = React;\n"],
    ['core/gate/x.ts', "import { mount } from '../../renderer/app/mount';\nexport const a = mount;\n"],
    ['core/contract/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n"],
    ['core/contract/x.ts', "import { TenantDirectory } from '../tenants';\nexport const a = TenantDirectory;\n"],
    ['renderer/features/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n"],
    ['renderer/features/x.ts', "import path from 'path';\nexport const a = path;\n"],
    ['renderer/features/x.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n"],
    ['renderer/features/x.ts', "import { openDatabase } from '../../core/store';\nexport const a = openDatabase;\n"],
    ['preload/x.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n"],
    ['main/x.ts', "import { contextBridge } from 'electron';\nexport const a = contextBridge;\n"],
    ['cli/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
  ])('%s: forbidden import fails lint', async (file, code) => {
    expect(await restricted(file, code)).not.toEqual([]);
  });

  it.each([
    ['core/policy/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n"],
    [
      'core/contract/x.ts',
      "import { z } from 'zod';\nimport { roles } from './roles';\nexport const a = [z, roles];\n",
    ],
    ['renderer/features/x.ts', "import { operations } from '../../core/contract';\nexport const a = operations;\n"],
    ['preload/x.ts', "import { contextBridge } from 'electron';\nexport const a = contextBridge;\n"],
    ['main/x.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n"],
  ])('%s: allowed import passes', async (file, code) => {
    expect(await restricted(file, code)).toEqual([]);
  });
});

describe('no import cycles by lint (HOUSE rule 16)', () => {
  async function cycles(files: Record<string, string>, lint: string): Promise<string[]> {
    const dir = fs.mkdtempSync(path.join(root, 'core', '.lint-cycle-'));
    try {
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
      const [result] = await eslint.lintFiles([path.join(dir, lint)]);
      return (result?.messages ?? []).filter((m) => m.ruleId === 'cavra/no-import-cycles').map((m) => m.message);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('fails a cycle, also one made only of type imports, and names it', async () => {
    const typeOnly = await cycles(
      {
        'a.ts': "import type { B } from './b';\nexport interface A { b: B }\n",
        'b.ts': "import type { A } from './a';\nexport interface B { a: A }\n",
      },
      'a.ts',
    );
    expect(typeOnly).toHaveLength(1);
    expect(typeOnly[0]).toMatch(/a\.ts → .*b\.ts → .*a\.ts/);
    const throughIndex = await cycles(
      {
        'index.ts': "export { c } from './c';\n",
        'c.ts': "import { d } from './d';\nexport const c = d;\n",
        'd.ts': "import type { c } from '.';\nexport const d = 1;\nexport type C = typeof c;\n",
      },
      'c.ts',
    );
    expect(throughIndex).toHaveLength(1);
  });

  it('passes imports that only go one way', async () => {
    expect(
      await cycles(
        { 'a.ts': "import { b } from './b';\nexport const a = b;\n", 'b.ts': 'export const b = 1;\n' },
        'a.ts',
      ),
    ).toEqual([]);
  });
});
