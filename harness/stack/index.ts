/**
 * The stack: real services for a run, from one of three providers behind one interface.
 * Neighbours downstream receive plain `StackInfo` values (see common/stack-types.ts), never this module.
 * Tests have a second entry, testing.ts.
 */

export { COMPOSE_DIR, REPO_ROOT, writeComposeConfig } from './compose/compose-config.ts';
export type { ConsumerSpec } from './consumer-spec.ts';
export { containerEngineMissing, type EngineProbe, probeEngine } from './containers/engine.ts';
export {
  assertNotRunning,
  type HeldStack,
  type HolderCommand,
  holdStack,
  holdUntilStopped,
  listRunningStacks,
  type StackCrash,
  startDetached,
  startHeldStack,
  stopHeldStack,
} from './held-stack.ts';
export { defaultClickHouseUrl } from './kept-clickhouse.ts';
export { stackSpecForMode } from './services/chat-app-options.ts';
export { checkSinkFaultProfile } from './services/push-sink.ts';
export type { Stack, StackHooks, StackStartOptions } from './stack.ts';
export { defaultStacksDir, readStackFile, stackFilePath } from './stack-file.ts';
export { type StackSpec, type StackSpecInput, StackSpecSchema, servicesFor } from './stack-spec.ts';
export { parseStackSpec, startStack } from './start-stack.ts';
export { ensureTools } from './toolchain/ensure-tools.ts';
export { cdcJarsHowToGet, findCdcJars } from './toolchain/kafka-jars.ts';
export { setup } from './toolchain/setup.ts';
export { findTool, SERVICE_TOOLS, TEST_TOOLS, TOOLS, type ToolId } from './toolchain/tools.ts';
