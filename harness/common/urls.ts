/** A connection URL without its password, safe to print: `redis://:***@h:p` → `redis://h:p`. */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed
    .toString()
    .replace(/\/$/, '')
    .replace(/\/\/:@/, '//');
}

/** The same URL with `password` put back (URL-encoded). */
export function withPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString().replace(/\/$/, '');
}
