/**
 * The stack: real services for a run, from one of three providers behind one interface.
 * Neighbours downstream receive plain `StackInfo` values (see common/stack-types.ts), never this module.
 */
import { UserError } from '../common/errors.ts';
import { type FieldNamer, parseOrExplain } from '../common/validation.ts';
import { startExternalStack } from './providers/external.ts';
import { startLocalStack } from './providers/local.ts';
import type { Stack, StackHooks, StackStartOptions } from './stack.ts';
import { type StackSpec, type StackSpecInput, StackSpecSchema } from './stack-spec.ts';

export type { Stack, StackHooks, StackStartOptions } from './stack.ts';
export { type ConsumerSpec, type StackSpec, type StackSpecInput, StackSpecSchema, servicesFor } from './stack-spec.ts';

export function parseStackSpec(input: unknown, fieldPrefix: FieldNamer = 'stack'): StackSpec {
  return parseOrExplain(StackSpecSchema, input ?? {}, 'stack configuration', fieldPrefix);
}

export async function startStack(
  input: StackSpec | StackSpecInput,
  options: StackStartOptions,
  hooks: StackHooks = {},
): Promise<Stack> {
  const spec = parseStackSpec(input);
  switch (spec.provider) {
    case 'local':
      return startLocalStack(spec, options, hooks);
    case 'external':
      return startExternalStack(spec, options);
    case 'containers':
      throw new UserError(
        'provider containers is not available in this version; use provider local (no container engine ' +
          'needed) or external (point the harness at docker-compose.yml with a stack file)',
      );
  }
}
