import { type FieldNamer, parseOrExplain } from '../common/validation.ts';
import { startContainersStack } from './providers/containers.ts';
import { startExternalStack } from './providers/external.ts';
import { startLocalStack } from './providers/local.ts';
import type { Stack, StackHooks, StackStartOptions } from './stack.ts';
import { type StackSpec, StackSpecSchema } from './stack-spec.ts';

/** Validates a stack spec at the edge (a scenario, the command line): fails naming the field and the reason. */
export function parseStackSpec(input: unknown, fieldPrefix: FieldNamer = 'stack'): StackSpec {
  return parseOrExplain(StackSpecSchema, input ?? {}, 'stack configuration', fieldPrefix);
}

/** Starts the stack a parsed spec describes, with the spec's provider. */
export async function startStack(spec: StackSpec, options: StackStartOptions, hooks: StackHooks = {}): Promise<Stack> {
  switch (spec.provider) {
    case 'local':
      return startLocalStack(spec, options, hooks);
    case 'external':
      return startExternalStack(spec, options);
    case 'containers':
      return startContainersStack(spec, options, hooks);
  }
}
