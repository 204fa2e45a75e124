import type { ConnectorKind } from '../contract';
import type { Sender } from '../outbox';
import { sendChat, sendJira, sendServiceNow, sendSplunkHec } from './http-kinds';
import { sendSmtp } from './smtp';
import { sendSyslog } from './syslog';
import { sendWebhook } from './webhook';
import { sendWitnessFile } from './witness-file';

/** How each connector kind sends an outbound message. */
export const senders: Record<ConnectorKind, Sender> = {
  smtp: sendSmtp,
  webhook: sendWebhook,
  syslog: sendSyslog,
  splunk_hec: sendSplunkHec,
  slack: sendChat,
  teams: sendChat,
  jira: sendJira,
  servicenow: sendServiceNow,
  witness_file: sendWitnessFile,
};

export const send: Sender = (connector, credentials, message, context) =>
  senders[connector.kind](connector, credentials, message, context);
