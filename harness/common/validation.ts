import type { z } from 'zod';
import { UserError } from './errors.ts';

/** How a field is named to the user: `stack.nodes` in a scenario, `--nodes` on the command line. */
export type FieldNamer = string | ((path: PropertyKey[]) => string);

/** `a.b[2].c` from a zod issue path. */
function fieldPath(prefix: FieldNamer, path: PropertyKey[]): string {
  if (typeof prefix === 'function') return prefix(path);
  let out = prefix;
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  }
  return out || '(root)';
}

/**
 * Validates `value` at the edge and returns the typed result, or throws one UserError (exit 2) whose
 * message names the first bad field and whose details list every problem, each with its field path.
 */
export function parseOrExplain<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  prefix: FieldNamer = '',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${fieldPath(prefix, issue.path)}: ${issue.message}`);
  const count =
    problems.length === 1 ? '' : ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`;
  throw new UserError(`invalid ${what}: ${problems[0]}${count}`, { details: problems.length > 1 ? problems : [] });
}

/** Names fields as command-line flags: ['stackFile'] → `--stack-file`. */
export function asFlag(path: PropertyKey[]): string {
  const first = String(path[0] ?? '');
  return `--${first.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}${path.length > 1 ? ` (${path.slice(1).join('.')})` : ''}`;
}
