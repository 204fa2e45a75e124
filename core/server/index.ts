export { startControlPlane } from './control-plane';
export type { ControlPlane, ControlPlaneOptions } from './control-plane';
export { startServer } from './server';
export type { RunningServer, ServerOptions, ServerTls } from './server';
export { TENANT_HEADER, bearerAuthenticator, bearerToken } from './auth';
export type { Authenticator, Caller, HumanVerifier, MachineVerifier } from './auth';
export type {
  RouteAuth,
  RouteContext,
  RouteModule,
  RouteResult,
  ServerDeps,
  ServerRoute,
  StreamedResult,
} from './routes';
export { routeModules } from './route-modules';
export { CentralLedger } from './central-ledger';
export { databaseConfig, secretSetting, tlsFiles, ServerConfigError } from './config';
export type { DatabaseConfig } from './config';
export { SIGNING_KEY_SETTING, signingKeyConfig } from './signing-key';
export { jsonLineLog } from './log';
export type { ServerLog } from './log';
export { INVOKE_PATH } from './contract-routes';
export { EVENTS_PATH } from './events';
export { LEDGER_BATCH_PATH, MAX_BATCH_RECORDS } from './ledger-routes';
export { CENTRAL_BUNDLE_PATH } from './bundle-routes';
export { statusFor } from './http';
export { storeReadiness } from './readiness';
export type { Readiness, ReadinessReport } from './readiness';
