export { ReportService } from './service';
export type { RenderedReport, ReportServiceOptions } from './service';
export { StoredReportRepository, DEFAULT_REPORT_SETTINGS } from './settings';
export type { ReportRepository } from './settings';
export { reportHandlers } from './handlers';
export { redactCommand } from './redaction';
export { classifyRecipients, isAllowedRecipient } from './recipients';
