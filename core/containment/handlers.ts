import { ContractError } from '../contract';
import type { Handler } from '../contract';
import { ContainmentError } from './compile';
import type { ContainmentService } from './service';
import { profileView, settingsView } from './service';

export function containmentHandlers(containment: ContainmentService): {
  'containment.settings.get': Handler<'containment.settings.get'>;
  'containment.settings.set': Handler<'containment.settings.set'>;
  'containment.profile': Handler<'containment.profile'>;
} {
  return {
    'containment.settings.get': async (ctx) => settingsView(await containment.settings(ctx.tenant)),
    'containment.settings.set': async (ctx, input) =>
      settingsView(await containment.setEnforcement(ctx.tenant, input, ctx.principal)),
    'containment.profile': async (ctx, input) => {
      const settings = await containment.settings(ctx.tenant);
      try {
        const { profile, digest } = containment.profile(ctx.tenant, input.cwd, input.repository ?? null);
        return profileView(profile, digest, settings.enforcement);
      } catch (error) {
        if (error instanceof ContainmentError) throw new ContractError('invalid_input', `cwd: ${error.message}`, 'cwd');
        throw error;
      }
    },
  };
}
