/**
 * The bare identifiers a SQL statement refers to (columns and tables), minus keywords, function names,
 * aliases it defines and lambda parameters — good enough to check dashboard SQL against the schema
 * before any server runs it. Not a SQL parser: it is tuned to the SQL this project writes.
 */
const KEYWORDS = new Set([
  'select',
  'from',
  'where',
  'and',
  'or',
  'not',
  'in',
  'as',
  'group',
  'by',
  'order',
  'asc',
  'desc',
  'limit',
  'having',
  'array',
  'join',
  'left',
  'inner',
  'any',
  'all',
  'using',
  'on',
  'final',
  'distinct',
  'is',
  'null',
  'nan',
  'inf',
  'case',
  'when',
  'then',
  'else',
  'end',
  'between',
  'like',
  'with',
  'union',
  'interval',
  'second',
]);

export function identifiersOf(sql: string): Set<string> {
  const stripped = sql
    .replace(/'(?:[^'\\]|\\.)*'/g, "''") // string literals
    .replace(/"[^"]*"/g, '""') // quoted aliases such as "p99.9"
    .replace(/\$\{[^}]*\}/g, '') // ${var:format}
    .replace(/\$__\w+/g, '') // plugin macros (their arguments stay: they are columns)
    .replace(/\$\w+/g, ''); // $var
  const aliases = new Set<string>();
  for (const m of stripped.matchAll(/\bAS\s+([A-Za-z_]\w*)/gi)) aliases.add(m[1]!);
  for (const m of stripped.matchAll(/\(([\w\s,]+)\)\s*->/g)) for (const p of m[1]!.split(',')) aliases.add(p.trim());
  for (const m of stripped.matchAll(/\b([A-Za-z_]\w*)\s*->/g)) aliases.add(m[1]!);
  const out = new Set<string>();
  for (const m of stripped.matchAll(/\b[A-Za-z_][A-Za-z0-9_]*\b/g)) {
    const word = m[0];
    const rest = stripped.slice((m.index ?? 0) + word.length);
    if (/^\s*\(/.test(rest)) continue; // a function call (or an aggregate's parameters)
    if (KEYWORDS.has(word.toLowerCase()) || aliases.has(word)) continue;
    out.add(word);
  }
  return out;
}
