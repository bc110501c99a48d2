import type { Command } from 'commander';
import { registerDoctor } from './doctor.ts';
import { registerGate } from './gate.ts';
import { registerReport } from './report.ts';
import { registerSetup } from './setup.ts';
import { registerSink } from './sink.ts';
import { registerStack } from './stack.ts';

export interface CommandContext {
  /** Aborted on the first SIGINT/SIGTERM: commands stop what they do and tear down. */
  signal: AbortSignal;
}

/** One file per command; a new command is a file and a line here. */
export function registerCommands(program: Command, context: CommandContext): void {
  registerDoctor(program);
  registerSetup(program);
  registerStack(program, context);
  registerSink(program, context);
  registerGate(program);
  registerReport(program);
}
