/** `host:path`, `user@host:path`, `host::module`, `rsync://…`, `s3://…`: not a local file. */
export function isRemote(text: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return true;
  const colon = text.indexOf(':');
  const slash = text.indexOf('/');
  return colon > 0 && (slash === -1 || colon < slash) && !/^[A-Za-z]:[\\/]/.test(text);
}
