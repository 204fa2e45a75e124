import { describe, expect, it } from 'vitest';
import { localEvaluationPrincipal } from '../identity';
import { ContainmentService } from './service';
import { DEFAULT_CONTAINMENT_SETTINGS } from './store';
import type { ContainmentSettings, ContainmentSettingsRepository } from './store';

/** One tenant store shared by two services, as the console and `cavra` share the tenant database. */
function sharedSettings(): ContainmentSettingsRepository {
  const stored = new Map<string, ContainmentSettings>();
  return {
    get: async (tenant) => ({ ...(stored.get(tenant) ?? DEFAULT_CONTAINMENT_SETTINGS) }),
    save: async (tenant, settings) => void stored.set(tenant, { ...settings }),
  };
}

function service(settings: ContainmentSettingsRepository): ContainmentService {
  return new ContainmentService({
    settings,
    policy: {
      containmentFor: () => {
        throw new Error('settings are read without compiling a profile');
      },
    },
    record: async () => ({ seq: 1 }),
    cavraHome: '/nonexistent/cavra-home',
    userHome: '/nonexistent/home',
  });
}

describe('containment settings across processes', () => {
  it('a process that saw judgement-only contains its very next command once another process restores the sandbox', async () => {
    const settings = sharedSettings();
    const gate = service(settings);
    const cli = service(settings);
    await cli.setEnforcement('t', { enforcement: 'judgement_only', reason: 'debugging' }, localEvaluationPrincipal);
    expect((await gate.settings('t')).enforcement).toBe('judgement_only');
    // Another process turns containment back on; the gate's next read must not be a stale "off".
    await cli.setEnforcement('t', { enforcement: 'sandbox' }, localEvaluationPrincipal);
    expect((await gate.settings('t')).enforcement).toBe('sandbox');
  });

  it('reads judgement-only as soon as the one second the sandbox setting is kept has passed', async () => {
    const settings = sharedSettings();
    const gate = service(settings);
    const cli = service(settings);
    expect((await gate.settings('t')).enforcement).toBe('sandbox');
    await cli.setEnforcement('t', { enforcement: 'judgement_only', reason: 'debugging' }, localEvaluationPrincipal);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await gate.settings('t')).enforcement).toBe('judgement_only');
  });
});
