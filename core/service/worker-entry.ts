import { parentPort, workerData } from 'node:worker_threads';
import { startGate } from '../gate';
import type { RunningGate } from '../gate';
import { createCore } from './core';
import type { LocalCoreService } from './core';
import type { CoreWorkerData, FromCoreWorker, ToCoreWorker } from './worker-protocol';

// The core's own thread (HOUSE rule 6, Signal's MainSQL worker): SQLite and every service run
// here so the shell's event loop (Electron main, the browser host) never waits on the disk.
const port = parentPort;
if (!port) throw new Error('worker-entry must run in a worker thread');
const post = (message: FromCoreWorker) => port.postMessage(message);
const data = workerData as CoreWorkerData;

let core: LocalCoreService;
try {
  // The console runs the outbox's delivery worker: queued deliveries go out while it is open.
  core = createCore({
    home: data.home,
    shell: data.shell,
    log: (message) => post({ type: 'log', message }),
    deliveries: { run: true },
  });
} catch (error) {
  post({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

// The console is the gate (SPEC §4) unless another process already is: then it says so and
// keeps serving the console; adapters reach whichever gate holds the socket.
let gate: RunningGate | null = null;
const gateStarted: Promise<void> = data.gate
  ? startGate({
      host: core.gateHost,
      httpPort: data.gate.httpPort,
      log: (message) => post({ type: 'log', message }),
    }).then(
      (running) => {
        gate = running;
        post({
          type: 'log',
          message: `gate listening on ${running.socketPath}${running.httpUrl ? ` and ${running.httpUrl}` : ''}`,
        });
      },
      (error: unknown) =>
        post({
          type: 'log',
          message: `gate not started here: ${error instanceof Error ? error.message : String(error)}`,
        }),
    )
  : Promise.resolve();

const subscriptions = new Map<number, () => void>();
port.on('message', (message: ToCoreWorker) => {
  switch (message.type) {
    case 'invoke':
      void core
        .invoke(message.principal, message.request)
        .then((envelope) => post({ type: 'result', id: message.id, envelope }));
      return;
    case 'subscribe':
      subscriptions.set(
        message.subscription,
        core.subscribe(message.principal, (event) =>
          post({ type: 'event', subscription: message.subscription, event }),
        ),
      );
      return;
    case 'unsubscribe':
      subscriptions.get(message.subscription)?.();
      subscriptions.delete(message.subscription);
      return;
    case 'close':
      for (const unsubscribe of subscriptions.values()) unsubscribe();
      void gateStarted
        .then(() => gate?.close())
        .then(() => core.close())
        .then(() => {
          post({ type: 'closed' });
          port.close();
        });
      return;
  }
});
void gateStarted.then(() => post({ type: 'ready', home: core.home, version: core.version }));
