// `tsx test/support/two-machines-main.ts <launcher>`: the control plane of the two-machines walk
// (e2e/browser/two-machines.spec.ts) in a process of its own, because Playwright's loader cannot
// load the core. It starts a PostgreSQL 15 cluster (postgres-cluster.ts: as `nobody` under root),
// `cavra server` behind its TLS balancer, the test IdP, machine A (joined, its gate running) and
// machine B's home (joined; the spec runs B's console on it), then prints `{"ready": …}` and
// answers JSON-line requests `{id, op, …}` on stdin with `{id, value}` or `{id, error}`, each as
// soon as it is done (machine A's hook waits for the reviewer). Its own lines on stdout start
// with MESSAGE_MARK (the IdP library prints notices there too). Closing stdin stops everything.
import { MESSAGE_MARK } from './two-machines-wire';
import { ControlPlaneFixture, TENANT } from './connected-plane';
import { startPostgresCluster } from './postgres-cluster';

const [launcher] = process.argv.slice(2);
if (!launcher) {
  process.stderr.write('usage: two-machines-main.ts <path to bin/cavra.cjs>\n');
  process.exit(2);
}

const send = (message: unknown) => process.stdout.write(`${MESSAGE_MARK}${JSON.stringify(message)}\n`);

const { cluster, stop: stopCluster } = await startPostgresCluster();
// However this process ends, the cluster stops (synchronously: pg_ctl stop).
process.once('exit', stopCluster);
const plane = new ControlPlaneFixture(cluster, { launcher });
let closing: Promise<void> | null = null;
const close = () => {
  closing ??= plane.close().finally(stopCluster);
  return closing;
};
const closeAndExit = (code: number) => void close().finally(() => process.exit(code));
process.once('SIGTERM', () => closeAndExit(0));
// The spec's end of the pipe: gone (closed or crashed) means stop, whatever is in progress.
process.stdin.setEncoding('utf8');
process.stdin.once('end', () => closeAndExit(0));
process.stdin.resume();
process.stdout.on('error', () => closeAndExit(1));

const [machineA, machineB] = await (async () => {
  await plane.start();
  return Promise.all([plane.machine('laptop-a', 240), plane.join('laptop-b')]);
})().catch(async (error: unknown) => {
  process.stderr.write(`the control plane did not start: ${(error as Error).stack ?? String(error)}\n`);
  await close().catch(() => undefined);
  process.exit(1);
});

send({
  ready: {
    tenant: TENANT,
    server: plane.url,
    a: { home: machineA.home, machineId: machineA.machineId },
    b: { home: machineB.home, machineId: machineB.machineId },
  },
});

type Request =
  | { id: number; op: 'hook'; command: string }
  | { id: number; op: 'signIn'; home: string; user: string }
  | { id: number; op: 'central'; requestId: string };

async function answer(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'hook':
      return machineA.hook(request.command);
    case 'signIn':
      return plane.signIn(request.home, request.user);
    case 'central':
      return {
        approvals: await plane.centralApprovalEvents(request.requestId),
        origins: await plane.centralOrigins(),
      };
    default:
      throw new Error(`unknown op ${(request as { op: string }).op}`);
  }
}

let buffered = '';
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (!line.trim()) continue;
    const request = JSON.parse(line) as Request;
    answer(request).then(
      (value) => send({ id: request.id, value: value ?? null }),
      (error: unknown) => send({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
  }
});
