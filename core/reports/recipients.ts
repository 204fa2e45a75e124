/** A recipient is internal when their domain is an allowed domain or a subdomain of one. */
export function isAllowedRecipient(address: string, allowedDomains: readonly string[]): boolean {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return allowedDomains.some((allowed) => domain === allowed || domain.endsWith(`.${allowed}`));
}

/** Splits recipients by the recipient policy: internal ones are sent to, external ones need an approval. */
export function classifyRecipients(
  recipients: readonly string[],
  allowedDomains: readonly string[],
): { internal: string[]; external: string[] } {
  const unique = [...new Set(recipients.map((r) => r.toLowerCase()))];
  return {
    internal: unique.filter((r) => isAllowedRecipient(r, allowedDomains)),
    external: unique.filter((r) => !isAllowedRecipient(r, allowedDomains)),
  };
}
