import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { normalizeAction } from '../../core/normalize';
import {
  convertCommunityPack,
  findBuiltinPackDir,
  formatPackError,
  isCommunityFormat,
  loadPack,
  PackLoadError,
  packJsonSchema,
  runPackTests,
  verifyPackSignature,
} from '../../core/policy';
import type { OperationOutput } from '../../core/contract';
import type { LoadedPack } from '../../core/policy';

type TestReport = OperationOutput<'policy.test'>;
import type { CliIO, Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function readSignature(file: string): string | null {
  const sig = `${file}.sig`;
  return fs.existsSync(sig) ? fs.readFileSync(sig, 'utf8').trim() : null;
}

/** Whether the text is a Community-Edition pack; text that is not YAML is left to loadPack to report. */
function isCommunityText(text: string): boolean {
  let raw: unknown = null;
  try {
    raw = parse(text);
  } catch {
    // loadPack reports the syntax error with its position.
  }
  return isCommunityFormat(raw);
}

/** Loads a native pack, printing its positioned errors (under `file`); null when it does not load. */
function loadText(text: string, file: string, io: CliIO): LoadedPack | null {
  try {
    return loadPack(text, file, os.homedir());
  } catch (error) {
    if (!(error instanceof PackLoadError)) throw error;
    for (const problem of error.errors) io.stderr(`${formatPackError(problem)}\n`);
    return null;
  }
}

function printReport(report: TestReport, io: CliIO, verbose: boolean): void {
  const total = report.passed + report.failed;
  io.stdout(
    `${report.failed === 0 ? 'PASS' : 'FAIL'} ${report.packId} ${report.version}  ${report.passed}/${total} tests\n`,
  );
  for (const result of report.results) {
    if (!result.ok) io.stdout(`  ✗ ${result.name}: ${result.message}\n`);
    else if (verbose)
      io.stdout(`  ✓ ${result.name} (${result.got}${result.decidedBy ? ` by ${result.decidedBy}` : ''})\n`);
  }
}

export const policyValidate: Command = {
  name: 'policy validate',
  summary: 'Check a pack file against the pack schema (errors give file:line:column: key)',
  usage: 'cavra policy validate <file> [--key PUBLIC_KEY_FILE]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { key: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError('Give exactly one pack file');
    const file = positionals[0] as string;
    const text = readText(file);
    if (isCommunityText(text)) {
      io.stderr(`${file}: this is a Community-Edition pack; convert it with "cavra policy import ${file}"\n`);
      return 1;
    }
    const loaded = loadText(text, file, io);
    if (!loaded) return 1;
    const signature = readSignature(file);
    if (values.key !== undefined) {
      if (signature === null) {
        io.stderr(`${file}: no signature (${file}.sig) to verify\n`);
        return 1;
      }
      const check = verifyPackSignature(text, signature, [
        { id: path.basename(values.key), publicKey: readText(values.key) },
      ]);
      if (!check.ok) {
        io.stderr(`${file}.sig: ${check.reason}\n`);
        return 1;
      }
    }
    const { document } = loaded;
    const signed =
      signature === null
        ? 'unsigned'
        : values.key !== undefined
          ? 'signature verified'
          : 'signed (not verified: give --key)';
    io.stdout(
      `ok: ${document.id} ${document.version} (${document.mode}): ${document.rules.length} rules, ${document.tests?.length ?? 0} tests, ${signed}\n`,
    );
    return 0;
  },
};

export const policyTest: Command = {
  name: 'policy test',
  summary: "Run packs' own tests: files, or pack ids of the tenant; every built-in pack when none is named",
  usage: 'cavra policy test [pack-file|pack-id …] [--tenant T] [--verbose] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, verbose: { type: 'boolean' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    let targets = positionals;
    if (targets.length === 0) {
      const dir = findBuiltinPackDir();
      if (!dir) throw new UsageError('no built-in packs found; name the pack files to test');
      targets = fs
        .readdirSync(dir)
        .filter((name) => name.endsWith('.yaml'))
        .sort()
        .map((name) => path.join(dir, name));
    }
    const reports: TestReport[] = [];
    let broken = 0;
    const ids: string[] = [];
    for (const target of targets) {
      if (!/\.ya?ml$/.test(target) && !fs.existsSync(target)) {
        ids.push(target);
        continue;
      }
      const loaded = loadText(readText(target), target, io);
      if (!loaded) {
        broken++;
        continue;
      }
      reports.push(runPackTests(loaded.compiled, normalizeAction));
    }
    if (ids.length > 0) {
      await withTenant(io, values.tenant, async (client, tenant) => {
        for (const packId of ids) reports.push(await client.call('policy.test', { packId }, { tenant }));
      });
    }
    if (values.json) io.stdout(jsonText(reports));
    else for (const report of reports) printReport(report, io, values.verbose === true);
    const failed = reports.reduce((sum, report) => sum + report.failed, 0);
    const passed = reports.reduce((sum, report) => sum + report.passed, 0);
    if (!values.json) {
      io.stdout(
        `\n${reports.length} pack${reports.length === 1 ? '' : 's'}: ${passed} passed, ${failed} failed${broken > 0 ? `, ${broken} could not be loaded` : ''}\n`,
      );
    }
    return failed > 0 || broken > 0 ? 1 : 0;
  },
};

export const policyImport: Command = {
  name: 'policy import',
  summary: 'Convert a Community-Edition pack to the native format (report on stderr); --install adds it to a tenant',
  usage: 'cavra policy import <file> [--out FILE] [--install] [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        out: { type: 'string' },
        install: { type: 'boolean' },
        tenant: { type: 'string' },
        json: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError('Give exactly one pack file');
    const file = positionals[0] as string;
    const text = readText(file);
    const community = isCommunityText(text);
    const conversion = community ? convertCommunityPack(text) : null;
    const nativeText = conversion?.yaml ?? text;
    const loaded = loadText(nativeText, values.out ?? file, io);
    if (!loaded) return 1;
    const report = runPackTests(loaded.compiled, normalizeAction);
    const { document } = loaded;
    if (values.json) {
      io.stdout(
        jsonText({
          pack: document.id,
          version: document.version,
          community,
          unconverted: conversion?.unconverted ?? [],
          notes: conversion?.notes ?? [],
          tests: report,
        }),
      );
    } else {
      if (values.out !== undefined) fs.writeFileSync(values.out, nativeText);
      else if (community && !values.install) io.stdout(nativeText);
      io.stderr(
        `${community ? 'Converted' : 'Read'} ${document.id} ${document.version}: ${document.rules.length} rules, ${report.passed}/${report.passed + report.failed} tests pass${values.out ? ` → ${values.out}` : ''}\n`,
      );
      for (const note of conversion?.unconverted ?? []) io.stderr(`  not converted: ${note.key}: ${note.message}\n`);
      for (const note of conversion?.notes ?? []) io.stderr(`  note: ${note.key}: ${note.message}\n`);
      for (const result of report.results.filter((r) => !r.ok)) io.stderr(`  ✗ ${result.name}: ${result.message}\n`);
    }
    if (report.failed > 0) return 1;
    if (!values.install) return 0;
    return withTenant(io, values.tenant, async (client, tenant) => {
      const imported = await client.call(
        'policy.pack.import',
        { yaml: text, signature: readSignature(file) },
        { tenant },
      );
      io.stderr(
        `Installed ${imported.pack.id} ${imported.pack.version} in ${tenant}${imported.replacedVersion ? ` (replacing ${imported.replacedVersion})` : ''}; assign it with "cavra policy assign ${imported.pack.id}"\n`,
      );
      return 0;
    });
  },
};

export const policySchema: Command = {
  name: 'policy schema',
  summary: 'Print the JSON Schema of the pack format',
  usage: 'cavra policy schema [--out FILE]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true });
    const text = jsonText(packJsonSchema());
    if (values.out !== undefined) fs.writeFileSync(values.out, text);
    else io.stdout(text);
    return 0;
  },
};

export const policyList: Command = {
  name: 'policy list',
  summary: "The tenant's packs with versions, rules, test status and assignments",
  usage: 'cavra policy list [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { packs, rejected } = await client.call('policy.packs.list', {}, { tenant });
      if (values.json) {
        io.stdout(jsonText({ packs, rejected }));
        return 0;
      }
      const width = Math.max(4, ...packs.map((pack) => pack.id.length));
      io.stdout(`${'PACK'.padEnd(width)}  VERSION  MODE     RULES  TESTS        ASSIGNED\n`);
      for (const pack of packs) {
        const tests = `${pack.tests.status} ${pack.tests.passed}/${pack.tests.passed + pack.tests.failed}`;
        const assigned = pack.assignments.map((repo) => repo ?? 'tenant').join(', ') || '-';
        io.stdout(
          `${pack.id.padEnd(width)}  ${pack.version.padEnd(7)}  ${pack.mode.padEnd(7)}  ${String(pack.ruleCount).padStart(5)}  ${tests.padEnd(11)}  ${assigned}\n`,
        );
        if (pack.loadError)
          io.stdout(
            `  newer version rejected, this one stays active:\n    ${pack.loadError.replace(/\n/g, '\n    ')}\n`,
          );
      }
      for (const line of rejected) io.stdout(`rejected: ${line}\n`);
      return 0;
    });
  },
};

function assignment(name: 'assign' | 'unassign'): Command {
  return {
    name: `policy ${name}`,
    summary:
      name === 'assign'
        ? 'Assign a pack to the tenant or one repository'
        : 'Remove a pack from the tenant or one repository',
    usage: `cavra policy ${name} <pack-id> [--repository R] [--tenant T]`,
    async run(args, io) {
      const { values, positionals } = parseArgs({
        args,
        options: { tenant: { type: 'string' }, repository: { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      if (positionals.length !== 1) throw new UsageError('Give exactly one pack id');
      return withTenant(io, values.tenant, async (client, tenant) => {
        const input = { packId: positionals[0] as string, repository: values.repository ?? null };
        const result = await client.call(name === 'assign' ? 'policy.assign' : 'policy.unassign', input, { tenant });
        const scope = values.repository ? `repository ${values.repository}` : 'the whole tenant';
        io.stdout(
          result.changed
            ? `${name === 'assign' ? 'Assigned' : 'Unassigned'} ${result.pack.id} ${result.pack.version} ${name === 'assign' ? 'to' : 'from'} ${scope}\n`
            : `${result.pack.id} was already assigned to ${scope}\n`,
        );
        return 0;
      });
    },
  };
}

export const policyAssign = assignment('assign');
export const policyUnassign = assignment('unassign');
