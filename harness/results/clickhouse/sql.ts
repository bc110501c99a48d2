/**
 * Literal and identifier quoting for ClickHouse SQL. ClickHouse 18.16 has no query parameters
 * (`{name:Type}` arrived in 19.11), so every value that reaches SQL text goes through these.
 */

/** A ClickHouse string literal: backslash and single quote escaped (ClickHouse's C-style escapes). */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Names of databases and tables the harness creates: plain identifiers only, so no quoting games. */
export function sqlIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`not a plain ClickHouse identifier: ${JSON.stringify(name)}`);
  }
  return name;
}

export function sqlStringList(values: readonly string[]): string {
  return values.map(sqlString).join(', ');
}
