import { describe, expect, it } from 'vitest';
import { formatRoute, linkTo, parseRoute } from './route';

describe('hash routes', () => {
  it('round-trips screen, tenant, item and filters', () => {
    const route = {
      screen: 'evidence' as const,
      tenant: 'acme-eval',
      item: '42',
      filters: { type: 'decision', agent: 'claude code/1', rule: 'secrets.read' },
    };
    const hash = formatRoute(route);
    expect(hash).toBe('#/evidence/42?tenant=acme-eval&agent=claude+code%2F1&rule=secrets.read&type=decision');
    expect(parseRoute(hash)).toEqual(route);
  });

  it('builds deep links to an approval request and a record', () => {
    expect(linkTo('approvals', 'acme', 'apr_0f', { view: 'decided' })).toBe(
      '#/approvals/apr_0f?tenant=acme&view=decided',
    );
    expect(parseRoute(linkTo('evidence', 'acme', 7))).toMatchObject({ screen: 'evidence', item: '7', tenant: 'acme' });
  });

  it('is not fooled by things that are not routes', () => {
    expect(parseRoute('#token=abc')).toBeNull();
    expect(parseRoute('')).toBeNull();
    expect(parseRoute('#/no-such-screen')).toBeNull();
    expect(parseRoute('#/evidence/%E0%A4%A')).toBeNull();
    expect(parseRoute('#/__proto__')).toBeNull();
  });

  it('drops oversized or empty values and keeps at most 20 filters', () => {
    const many = Array.from({ length: 30 }, (_, i) => `f${i}=v`).join('&');
    const route = parseRoute(`#/activity/${'x'.repeat(600)}?tenant=&agent=${'y'.repeat(600)}&${many}`);
    expect(route?.item).toBeNull();
    expect(route?.tenant).toBeNull();
    expect(route?.filters.agent).toBeUndefined();
    expect(Object.keys(route?.filters ?? {})).toHaveLength(20);
  });
});
