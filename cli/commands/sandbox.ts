import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { claudeCodeExportNotes, claudeCodeSandbox, seatbeltProfile } from '../../core/containment';
import { homesOf, parseProfile, probeSandbox, scanWorkspace, SANDBOX_PROXY_PORT } from '../../core/containment/runner';
import type { ContainmentProfile } from '../../core/containment/runner';
import type { ContainmentProfileView } from '../../core/contract';
import { claudeCodeHookPlacement, claudeManagedDir } from '../../core/health';
import type { CliIO, Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

function profileOf(view: ContainmentProfileView): ContainmentProfile {
  return parseProfile(view.profile);
}

/** The files the profile's workspace globs name right now (what a static export can list). */
function workspaceMatches(profile: ContainmentProfile): string[] {
  return scanWorkspace(profile.workspace, profile.deny_read.globs, profile.deny_read.except).matches.map((m) => m.path);
}

function projectDir(io: CliIO, project: string | undefined): string {
  return path.resolve(io.cwd, project ?? '.');
}

/**
 * Into an existing Claude Code settings file, only the `sandbox` key is replaced: every other
 * setting stays. A file that is not a JSON object is refused rather than overwritten.
 */
function mergeSandbox(file: string, exported: string): string {
  let settings: unknown;
  try {
    const before = fs.readFileSync(file, 'utf8');
    settings = before.trim() === '' ? {} : JSON.parse(before);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON (${(error as Error).message}); fix it first, nothing was changed`);
  }
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new UsageError(`${file} does not hold a JSON object; nothing was changed`);
  }
  const { sandbox } = JSON.parse(exported) as { sandbox: unknown };
  return `${JSON.stringify({ ...settings, sandbox }, null, 2)}\n`;
}

export const sandboxStatus: Command = {
  name: 'sandbox status',
  summary:
    'Whether commands run contained here: the sandbox probe, the tenant’s containment mode, the Claude Code hook',
  usage: 'cavra sandbox status [--tenant T] [--project DIR] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, project: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: false,
      strict: true,
    });
    const probe = probeSandbox();
    const hook = claudeCodeHookPlacement({
      projectDir: projectDir(io, values.project),
      userHome: io.env.HOME || os.homedir(),
      managedDir: io.env.CAVRA_CLAUDE_MANAGED_DIR || claudeManagedDir(),
    });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const settings = await client.call('containment.settings.get', {}, { tenant });
      if (values.json) {
        io.stdout(jsonText({ tenant, sandbox: probe, containment: settings, claudeCodeHook: hook }));
        return probe.available || settings.enforcement === 'judgement_only' ? 0 : 1;
      }
      io.stdout(
        probe.available
          ? `Sandbox: available (${probe.bwrap}, ${probe.version}; socat ${probe.socat ?? 'missing: no network grants possible'})\n`
          : `Sandbox: UNAVAILABLE — ${probe.reason}\n  To fix: ${probe.fix}\n`,
      );
      io.stdout(
        settings.enforcement === 'sandbox'
          ? `Tenant ${tenant}: every allowed command runs contained; nothing runs when the sandbox cannot start.\n`
          : `Tenant ${tenant}: JUDGEMENT ONLY (weaker posture) — commands run without containment.\n  Chosen by ${settings.changedBy} at ${settings.changedAt}: ${settings.reason}\n`,
      );
      io.stdout(`Claude Code hook: ${hook.detail}${hook.weaker ? ' — weaker' : ''}\n`);
      return probe.available || settings.enforcement === 'judgement_only' ? 0 : 1;
    });
  },
};

export const sandboxMode: Command = {
  name: 'sandbox mode',
  summary: 'Choose how the tenant’s commands are contained: sandbox (default), or judgement-only (weaker, recorded)',
  usage: 'cavra sandbox mode sandbox|judgement-only [--reason TEXT] [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { reason: { type: 'string' }, tenant: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    const mode = positionals[0];
    if (positionals.length !== 1 || (mode !== 'sandbox' && mode !== 'judgement-only')) {
      throw new UsageError('give the mode: sandbox or judgement-only');
    }
    if (mode === 'judgement-only' && !values.reason?.trim()) {
      throw new UsageError('--reason is required for judgement-only mode (it is recorded with the change)');
    }
    return withTenant(io, values.tenant, async (client, tenant) => {
      const settings = await client.call(
        'containment.settings.set',
        {
          enforcement: mode === 'sandbox' ? 'sandbox' : 'judgement_only',
          ...(values.reason ? { reason: values.reason } : {}),
        },
        { tenant },
      );
      if (values.json) io.stdout(jsonText(settings));
      else if (settings.enforcement === 'sandbox') {
        io.stdout(`Tenant ${tenant}: commands run contained again (recorded in the evidence ledger).\n`);
      } else {
        io.stdout(
          `Tenant ${tenant}: JUDGEMENT ONLY — commands now run without containment. This is the weaker posture; it is recorded and reported.\n`,
        );
      }
      return 0;
    });
  },
};

export const sandboxProfile: Command = {
  name: 'sandbox profile',
  summary: 'Show the sandbox profile the tenant’s packs compile to for a workspace, and its digest',
  usage: 'cavra sandbox profile [--project DIR] [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { project: { type: 'string' }, tenant: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: false,
      strict: true,
    });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const view = await client.call('containment.profile', { cwd: projectDir(io, values.project) }, { tenant });
      if (values.json) {
        io.stdout(jsonText(view));
        return 0;
      }
      const list = (items: string[]) => (items.length > 0 ? items.join(', ') : 'none');
      io.stdout(
        [
          `Sandbox profile ${view.digest} (tenant ${tenant}${view.enforcement === 'judgement_only' ? ', NOT ENFORCED: judgement only' : ''})`,
          `  workspace (writable)   ${view.workspace}`,
          `  also writable          ${list(view.writeAllow)}`,
          `  unreadable             ${list(view.denyRead)}`,
          `  readable anyway        ${list(view.exceptRead)}`,
          `  read-only              ${list(view.denyWrite)}`,
          `  network                ${view.hosts.length > 0 ? `only through CAVRA's proxy to ${view.hosts.join(', ')}` : 'none'}`,
          `  variables removed      ${list(view.environmentRemove)}${view.environmentKeep.length > 0 ? ` (kept: ${view.environmentKeep.join(', ')})` : ''}`,
          `  from packs             ${list(view.packs.map((p) => `${p.id}@${p.version}`))}`,
          '',
        ].join('\n'),
      );
      return 0;
    });
  },
};

export const sandboxExport: Command = {
  name: 'sandbox export',
  summary: 'Write the same profile as Claude Code sandbox settings, or as a macOS Seatbelt policy',
  usage: 'cavra sandbox export --format claude-code|seatbelt [--project DIR] [--tenant T] [--out FILE]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        format: { type: 'string' },
        project: { type: 'string' },
        tenant: { type: 'string' },
        out: { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    });
    if (values.format !== 'claude-code' && values.format !== 'seatbelt') {
      throw new UsageError('--format must be claude-code or seatbelt');
    }
    const format = values.format;
    return withTenant(io, values.tenant, async (client, tenant) => {
      const view = await client.call('containment.profile', { cwd: projectDir(io, values.project) }, { tenant });
      const profile = profileOf(view);
      let text: string;
      let notes: string[] = [];
      if (format === 'claude-code') {
        text = `${JSON.stringify({ sandbox: claudeCodeSandbox(profile, { workspaceMatches: workspaceMatches(profile) }) }, null, 2)}\n`;
        notes = claudeCodeExportNotes(profile);
      } else {
        text = seatbeltProfile(profile, {
          homes: homesOf(io.env),
          workspaceMatches: workspaceMatches(profile),
          tmpdir: '/private/tmp',
          ...(profile.network.hosts.length > 0 ? { proxyPort: SANDBOX_PROXY_PORT } : {}),
        });
      }
      if (view.enforcement === 'judgement_only') {
        notes.unshift(`tenant ${tenant} is in judgement-only mode: cavra exec does not contain commands`);
      }
      if (values.out) {
        const out = path.resolve(io.cwd, values.out);
        if (format === 'claude-code' && fs.existsSync(out)) text = mergeSandbox(out, text);
        fs.writeFileSync(out, text, { mode: 0o644 });
        io.stdout(`Wrote the ${format} profile ${view.digest.slice(0, 12)} to ${out}\n`);
      } else {
        io.stdout(text);
      }
      for (const note of notes) io.stderr(`cavra sandbox export: note: ${note}\n`);
      return 0;
    });
  },
};
