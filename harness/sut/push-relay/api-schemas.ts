/**
 * The relay's side of request validation. The request shapes themselves (Centrifugo PRO's push API and the
 * relay's extensions) are wire types shared with the push flood, in harness/common/push-api.ts; they are
 * re-exported here so the relay's modules import everything about requests from one place.
 */
import type { z } from 'zod';
import { badRequest } from './api-error.ts';

export * from '../../common/push-api.ts';

function issuePath(path: PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(body)';
}

/** Validates a request body; the 107 error names the first bad field ("recipient.fcm_tokens[2]: …"). */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) message = 'required';
  throw badRequest(`${issuePath(issue.path)}: ${message}`);
}
