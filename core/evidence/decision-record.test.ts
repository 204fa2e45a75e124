import { describe, expect, it } from 'vitest';
import { decisionRecord } from './decision-record';
import { recordTypeSpec } from './record-types';
import { sampleDecision } from './testing';

const schema = recordTypeSpec('decision').schema;

describe('decision record shape', () => {
  it('is what the builder writes, with the correlation id only inside the decision', () => {
    const payload = sampleDecision(3);
    expect(schema.safeParse(payload).success).toBe(true);
    expect(Object.keys(payload).sort()).toEqual(['actor', 'adapter', 'agent', 'decision', 'repository']);
    expect(payload).not.toHaveProperty('correlation_id');
  });

  it('leaves out what the source does not know, never writing undefined members', () => {
    const { decision } = sampleDecision(1);
    const payload = decisionRecord(decision, { adapter: 'git', agent: null });
    expect(payload).toEqual({ decision, adapter: 'git' });
    expect(schema.safeParse(payload).success).toBe(true);
  });

  it('refuses the old dialects and anything beside the one shape, at every level', () => {
    const good = sampleDecision(2);
    const refused: [string, unknown][] = [
      ['no adapter (the old policy.evaluate shape)', { ...good, adapter: undefined }],
      ['a top-level correlation id (the old gate shape)', { ...good, correlation_id: 'c-2' }],
      ['an unknown top-level member', { ...good, content: 'secret file contents' }],
      ['an unknown member of the decision', { ...good, decision: { ...good.decision, extra: 1 } }],
      [
        'an unknown member of a matched rule',
        { ...good, decision: { ...good.decision, rules: [{ ...good.decision.rules[0], extra: 1 }] } },
      ],
      [
        'an unknown member of the explanation',
        { ...good, decision: { ...good.decision, explanation: { ...good.decision.explanation, extra: 1 } } },
      ],
      [
        'an unknown member of the approval',
        {
          ...good,
          decision: { ...good.decision, approval: { route: 'p/r', state: 'pending', mcp_arguments: {} } },
        },
      ],
      ['an unknown member of the agent', { ...good, agent: { id: 'a', session: 's', token: 'x' } }],
      ['an empty adapter', { ...good, adapter: '' }],
    ];
    for (const [why, payload] of refused) {
      const stripped = JSON.parse(JSON.stringify(payload)) as unknown;
      expect(schema.safeParse(stripped).success, why).toBe(false);
    }
  });
});
