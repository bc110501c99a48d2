import type { z } from 'zod';
import { UserError } from './errors.ts';

/** How a field is named to the user: `stack.nodes` in a scenario, `--nodes` on the command line. */
export type FieldNamer = string | ((path: PropertyKey[]) => string);

/** One problem of a value, at its field path (an unknown key's path ends with the key). */
export interface Problem {
  path: PropertyKey[];
  message: string;
}

/** Longest key, value or message text quoted in an error: a 1 MB key must not become a 1 MB message. */
const MAX_QUOTED_CHARS = 60;
/** Longest error message: one terminal line's worth of problems, never a dump of the input. */
const MAX_MESSAGE_CHARS = 1000;

/** A key as the user typed it, on one line and short: `stack.engnie`, `stack["a b"]`, `stack["x…"]`. */
function keyText(key: PropertyKey): string {
  const text = String(key);
  if (/^[A-Za-z_$][\w$-]*$/.test(text) && text.length <= MAX_QUOTED_CHARS) return text;
  return JSON.stringify(truncate(text, MAX_QUOTED_CHARS));
}

/** `a.b[2].c` from a zod issue path. */
function fieldPath(prefix: FieldNamer, path: PropertyKey[]): string {
  if (typeof prefix === 'function') return oneLine(prefix(path), MAX_MESSAGE_CHARS);
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else {
      const text = keyText(key);
      out += text.startsWith('"') ? `[${text}]` : `${out ? '.' : ''}${text}`;
    }
  }
  return out || '(root)';
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `text` as one line of at most `max` characters: control characters escaped, the rest cut with `…`. */
export function oneLine(text: string, max = MAX_MESSAGE_CHARS): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));
  return truncate(flat, max);
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions): `engnie` → `engine` is 1.
 * Inputs are short keys; a long typo is cut first so the table stays small.
 */
export function editDistance(a: string, b: string): number {
  const s = a.slice(0, MAX_QUOTED_CHARS);
  const t = b.slice(0, MAX_QUOTED_CHARS);
  const d = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => i || j));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[s.length]![t.length]!;
}

/** The known name closest to `name`, if it is close enough to be a typo (case is ignored). */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** What to say about an unknown key: the nearest valid spelling, or the valid keys when few. */
function unknownKeyMessage(key: string, known: readonly string[]): string {
  const guess = nearestName(key, known);
  if (guess) return `unknown key; did you mean ${guess}?`;
  if (known.length > 0 && known.length <= 12) return `unknown key; expected one of ${known.join(', ')}`;
  return 'unknown key';
}

/** The message of a zod issue, in this harness's words where zod's are vague (NaN, Infinity). */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.expected === 'number') {
    const received = (issue as { received?: unknown }).received;
    if (received === 'NaN' || received === 'Infinity') return `expected a finite number, not ${received}`;
  }
  // zod's default for a bound it was given without a message ("Too big: expected number to be <=16").
  if (issue.code === 'too_big' && issue.origin === 'number' && issue.message.startsWith('Too big')) {
    return `${issue.inclusive ? 'at most' : 'below'} ${Number(issue.maximum).toLocaleString('en-US')}`;
  }
  if (issue.code === 'too_small' && issue.origin === 'number' && issue.message.startsWith('Too small')) {
    return `${issue.inclusive ? 'at least' : 'above'} ${Number(issue.minimum).toLocaleString('en-US')}`;
  }
  return issue.message;
}

/**
 * Every problem of `value` against `schema`, or its parsed data. An unknown key is one problem at its own
 * path (`stack.engnie`) naming the nearest valid spelling: the object schema that refused it is at hand
 * while zod finalises the issue (`issue.inst`), so its shape gives the keys it knows.
 */
export function checkValue<S extends z.ZodType>(
  schema: S,
  value: unknown,
): { ok: true; data: z.infer<S> } | { ok: false; problems: Problem[] } {
  const knownKeys = new Map<string, string[]>();
  const result = schema.safeParse(value, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        const shape = (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
        knownKeys.set(JSON.stringify(issue.path ?? []), Object.keys(shape ?? {}));
      }
      return undefined; // zod's own message otherwise
    },
  });
  if (result.success) return { ok: true, data: result.data };
  // Unknown keys first: a misspelt key also makes the key it meant missing, and the spelling is the fix.
  const issues = [...result.error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const problems = issues.flatMap((issue): Problem[] => {
    if (issue.code !== 'unrecognized_keys') return [{ path: issue.path, message: oneLine(issueMessage(issue)) }];
    const known = knownKeys.get(JSON.stringify(issue.path)) ?? [];
    return issue.keys.map((key) => ({ path: [...issue.path, key], message: unknownKeyMessage(key, known) }));
  });
  return { ok: false, problems };
}

/**
 * Validates `value` at the edge and returns the typed result, or throws one UserError (exit 2) whose
 * message names the first bad field and whose details list every problem, each with its field path.
 * Every message is one line, however odd the input (keys with newlines, megabyte strings).
 */
export function parseOrExplain<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  prefix: FieldNamer = '',
): z.infer<S> {
  const checked = checkValue(schema, value);
  if (checked.ok) return checked.data;
  const problems = checked.problems.map((problem) => `${fieldPath(prefix, problem.path)}: ${problem.message}`);
  const count =
    problems.length === 1 ? '' : ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`;
  throw new UserError(oneLine(`invalid ${what}: ${problems[0]}${count}`), {
    details: problems.length > 1 ? problems.map((problem) => oneLine(problem)) : [],
  });
}

/**
 * The message of an upper bound: `at most 1,000,000 per run on one machine (…)`. Every number a user sets
 * has one, with the reason, so an extreme value is refused before it plans anything.
 */
export function atMost(max: number, why: string): string {
  return `at most ${max.toLocaleString('en-US')} ${why}`;
}

/** Names fields as command-line flags: ['stackFile'] → `--stack-file`. */
export function asFlag(path: PropertyKey[]): string {
  const first = String(path[0] ?? '');
  return `--${first.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}${path.length > 1 ? ` (${path.slice(1).join('.')})` : ''}`;
}
