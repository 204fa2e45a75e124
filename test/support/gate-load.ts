// Gates shipping evidence to `cavra server` replicas, as connected mode's outbox does: each gate
// sends its records in batches of consecutive origin sequence numbers and, when a replica fails
// (connection refused or reset, 5xx), retries the same batch on the next replica — what a load
// balancer does for a dead backend. Used by the replica test (issue 12 acceptance 3) and
// `npm run bench store`.
import http from 'node:http';
import https from 'node:https';
import { call } from './control-plane';

export interface GateLoadOptions {
  /** Replica base URLs. */
  urls: () => readonly string[];
  /** One machine credential per gate. */
  tokens: readonly string[];
  batches: number;
  batchSize: number;
  /** The first origin sequence number each gate ships (a second run continues after the first). */
  firstOriginSeq?: number;
  ca?: string;
  /** The record a gate ships at an origin sequence number. */
  record?: (gate: number, originSeq: number) => { type: string; payload: unknown };
  /** Called after each acknowledged batch (the test kills a replica from here). */
  onAck?: (acknowledged: number) => void;
}

export interface GateLoadResult {
  /** Per gate: origin sequence → central sequence, for every record a replica acknowledged. */
  acknowledged: Map<number, number>[];
  records: number;
  seconds: number;
  retries: number;
  /** Per batch round trip, nanoseconds. */
  latencies: number[];
}

/** A small record a gate ships (bench runs pass full decision records instead). */
export function configRecord(gate: number, originSeq: number): { type: string; payload: unknown } {
  return {
    type: 'config_change',
    payload: { change: 'gate.load', by: `gate-${gate}`, before: null, after: originSeq },
  };
}

export async function runGateLoad(options: GateLoadOptions): Promise<GateLoadResult> {
  const acknowledged = options.tokens.map(() => new Map<number, number>());
  const latencies: number[] = [];
  let retries = 0;
  let acks = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    options.tokens.map(async (token, gate) => {
      const agents = new Map<string, http.Agent>();
      const agentFor = (url: string) => {
        let agent = agents.get(url);
        if (!agent) {
          agent = url.startsWith('https:')
            ? new https.Agent({ keepAlive: true, ca: options.ca })
            : new http.Agent({ keepAlive: true });
          agents.set(url, agent);
        }
        return agent;
      };
      try {
        for (let batch = 0; batch < options.batches; batch++) {
          const records = Array.from({ length: options.batchSize }, (_, i) => {
            const originSeq = (options.firstOriginSeq ?? 0) + batch * options.batchSize + i;
            return { originSeq, ...(options.record ?? configRecord)(gate, originSeq) };
          });
          for (let attempt = 0; ; attempt++) {
            const urls = options.urls();
            const url = urls[(gate + batch + attempt) % urls.length] as string;
            const t = process.hrtime.bigint();
            const answer = await call(`${url}/v1/ledger/batches`, {
              headers: { authorization: `Bearer ${token}` },
              body: { records },
              agent: agentFor(url),
            }).catch(() => null);
            if (answer?.status === 200) {
              latencies.push(Number(process.hrtime.bigint() - t));
              const receipts = (answer.body as { value: { receipts: { originSeq: number; seq: number }[] } }).value
                .receipts;
              for (const receipt of receipts) acknowledged[gate]?.set(receipt.originSeq, receipt.seq);
              acks += 1;
              options.onAck?.(acks);
              break;
            }
            if (answer && answer.status < 500) {
              throw new Error(`gate ${gate}: batch ${batch} refused (${answer.status}): ${answer.text.slice(0, 300)}`);
            }
            if (attempt > 200) throw new Error(`gate ${gate}: batch ${batch} never acknowledged`);
            retries += 1;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
      } finally {
        for (const agent of agents.values()) agent.destroy();
      }
    }),
  );
  return {
    acknowledged,
    records: options.tokens.length * options.batches * options.batchSize,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    retries,
    latencies,
  };
}
