import type { BuildChannel } from '../contract';

/*
 * Whether this is a demo build. The build sets it (scripts/build.mjs defines
 * __CAVRA_BUILD_CHANNEL__ from CAVRA_BUILD_CHANNEL, `demo` unless told otherwise; the release
 * build says `production`; vitest defines `demo`). Code run without the define — tsx scripts,
 * a bundler that forgot it — is a production build: the demo key is trusted only where a
 * build said so explicitly.
 */
declare const __CAVRA_BUILD_CHANNEL__: string | undefined;

export const buildChannel: BuildChannel =
  typeof __CAVRA_BUILD_CHANNEL__ === 'string' && __CAVRA_BUILD_CHANNEL__ === 'demo' ? 'demo' : 'production';
