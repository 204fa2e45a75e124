import type { ConnectorKind } from '../../../core/contract';

export const KIND_LABELS: Record<ConnectorKind, string> = {
  smtp: 'E-mail (SMTP)',
  webhook: 'Webhook (Standard Webhooks)',
  syslog: 'SIEM: syslog over TLS',
  splunk_hec: 'SIEM: Splunk HEC',
  slack: 'ChatOps: Slack',
  teams: 'ChatOps: Microsoft Teams',
  jira: 'ITSM: Jira',
  servicenow: 'ITSM: ServiceNow',
  witness_file: 'Witness file (anchor)',
};

export interface FieldSpec {
  key: string;
  label: string;
  type: 'text' | 'number' | 'select' | 'textarea';
  optional?: boolean;
  hint?: string;
  options?: { value: string; label: string }[];
}

const ca: FieldSpec = {
  key: 'ca',
  label: 'CA certificates (PEM)',
  type: 'textarea',
  optional: true,
  hint: 'Only for a private CA; certificates are always verified.',
};
const timeout: FieldSpec = { key: 'timeoutSeconds', label: 'Timeout (seconds)', type: 'number', optional: true };
const host: FieldSpec = { key: 'host', label: 'Host', type: 'text' };
const port: FieldSpec = { key: 'port', label: 'Port', type: 'number' };

/** The settings form of each kind; the contract validates every value and names the field. */
export const SETTINGS_FIELDS: Record<ConnectorKind, FieldSpec[]> = {
  smtp: [
    host,
    port,
    {
      key: 'security',
      label: 'TLS',
      type: 'select',
      options: [
        { value: 'starttls', label: 'STARTTLS required (port 587)' },
        { value: 'tls', label: 'Implicit TLS (port 465)' },
      ],
    },
    { key: 'from', label: 'Sender address', type: 'text' },
    { key: 'username', label: 'User name (AUTH)', type: 'text', optional: true },
    { key: 'anchorTo', label: 'Compliance mailbox for checkpoints', type: 'text', optional: true },
    ca,
    timeout,
  ],
  webhook: [{ key: 'url', label: 'Endpoint URL (https)', type: 'text' }, ca, timeout],
  syslog: [host, port, { key: 'appName', label: 'APP-NAME', type: 'text', optional: true }, ca, timeout],
  splunk_hec: [
    {
      key: 'url',
      label: 'HEC endpoint URL (https)',
      type: 'text',
      hint: 'e.g. https://splunk.example:8088/services/collector/event',
    },
    { key: 'index', label: 'Index', type: 'text', optional: true },
    { key: 'sourcetype', label: 'Sourcetype', type: 'text', optional: true },
    ca,
    timeout,
  ],
  slack: [ca, timeout],
  teams: [ca, timeout],
  jira: [
    { key: 'baseUrl', label: 'Jira URL (https)', type: 'text' },
    { key: 'projectKey', label: 'Project key', type: 'text' },
    { key: 'issueType', label: 'Issue type', type: 'text', optional: true },
    { key: 'username', label: 'User (e-mail)', type: 'text' },
    ca,
    timeout,
  ],
  servicenow: [
    { key: 'instanceUrl', label: 'Instance URL (https)', type: 'text' },
    { key: 'table', label: 'Table', type: 'text', optional: true, hint: 'incident unless you name another' },
    { key: 'username', label: 'User', type: 'text' },
    ca,
    timeout,
  ],
  witness_file: [{ key: 'path', label: 'Witness file (absolute path)', type: 'text' }],
};
