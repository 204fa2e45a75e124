import type { ConnectorSettings } from '../contract';
import { httpsPost } from './https-post';
import type { Sender } from '../outbox';
import { failure } from '../outbox';

const timeoutOf = (settings: { timeoutSeconds?: number }) => (settings.timeoutSeconds ?? 15) * 1000;
const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

/** Splunk HTTP Event Collector: one JSON event, `Authorization: Splunk <token>`. */
export const sendSplunkHec: Sender = async (connector, credentials, message, context) => {
  const settings = connector.settings as ConnectorSettings<'splunk_hec'>;
  if (!credentials.credential) return failure(null, 'The HEC token is not set', false);
  const body = JSON.stringify({
    time: context.now.getTime() / 1000,
    source: 'cavra',
    sourcetype: settings.sourcetype ?? 'cavra:event',
    ...(settings.index ? { index: settings.index } : {}),
    event: {
      type: message.event.type,
      severity: message.event.severity,
      tenant: context.tenant,
      delivery: context.deliveryId,
      subject: message.subject,
      ...message.event.data,
    },
  });
  return httpsPost({
    url: settings.url,
    body,
    headers: {
      'content-type': 'application/json',
      authorization: `Splunk ${credentials.credential}`,
      'x-splunk-request-channel': context.idempotencyKey.replace(/[^A-Za-z0-9-]/g, '').slice(0, 64) || 'cavra',
    },
    ca: settings.ca,
    timeoutMs: timeoutOf(settings),
    secrets: [credentials.credential],
  });
};

/** Slack and Teams incoming webhooks: the secret is the webhook URL itself. */
export const sendChat: Sender = async (connector, credentials, message, context) => {
  const settings = connector.settings as ConnectorSettings<'slack'>;
  if (!credentials.credential) return failure(null, 'The incoming-webhook URL (the secret) is not set', false);
  const text = `*${message.subject}*\n${message.text}`.slice(0, 3000);
  const body =
    connector.kind === 'teams'
      ? {
          type: 'message',
          attachments: [
            {
              contentType: 'application/vnd.microsoft.card.adaptive',
              content: {
                $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
                type: 'AdaptiveCard',
                version: '1.4',
                body: [
                  { type: 'TextBlock', text: message.subject, weight: 'Bolder', wrap: true },
                  { type: 'TextBlock', text: message.text.slice(0, 3000), wrap: true },
                ],
              },
            },
          ],
        }
      : { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  return httpsPost({
    url: credentials.credential,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'idempotency-key': context.idempotencyKey },
    ca: settings.ca,
    timeoutMs: timeoutOf(settings),
    secrets: [credentials.credential],
  });
};

/** A Jira issue over REST (v2, plain-text description). */
export const sendJira: Sender = async (connector, credentials, message, context) => {
  const settings = connector.settings as ConnectorSettings<'jira'>;
  if (!credentials.credential) return failure(null, 'The Jira API token is not set', false);
  const body = JSON.stringify({
    fields: {
      project: { key: settings.projectKey },
      issuetype: { name: settings.issueType ?? 'Task' },
      summary: message.subject.slice(0, 250),
      description: `${message.text}\n\nCAVRA delivery ${context.deliveryId} (${context.idempotencyKey})`,
      labels: ['cavra', message.event.severity],
    },
  });
  return httpsPost({
    url: new URL('rest/api/2/issue', withSlash(settings.baseUrl)).toString(),
    body,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: basic(settings.username, credentials.credential),
      'idempotency-key': context.idempotencyKey,
    },
    ca: settings.ca,
    timeoutMs: timeoutOf(settings),
    secrets: [credentials.credential],
  });
};

const URGENCY = { critical: '1', warning: '2', info: '3' } as const;

/** A ServiceNow record through the Table API (an incident unless another table is named). */
export const sendServiceNow: Sender = async (connector, credentials, message, context) => {
  const settings = connector.settings as ConnectorSettings<'servicenow'>;
  if (!credentials.credential) return failure(null, 'The ServiceNow password is not set', false);
  const body = JSON.stringify({
    short_description: message.subject.slice(0, 160),
    description: message.text,
    urgency: URGENCY[message.event.severity],
    correlation_id: context.idempotencyKey,
    correlation_display: 'CAVRA',
  });
  return httpsPost({
    url: new URL(`api/now/table/${settings.table ?? 'incident'}`, withSlash(settings.instanceUrl)).toString(),
    body,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: basic(settings.username, credentials.credential),
    },
    ca: settings.ca,
    timeoutMs: timeoutOf(settings),
    secrets: [credentials.credential],
  });
};

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
