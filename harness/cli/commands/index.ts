import type { Command } from 'commander';
import type { CommandContext } from '../command-context.ts';
import { registerAb } from './ab.ts';
import { registerBaseline } from './baseline.ts';
import { registerCalibrate } from './calibrate.ts';
import { registerCompare } from './compare.ts';
import { registerComposeConfig } from './compose-config.ts';
import { registerCoordinate } from './coordinate.ts';
import { registerDoctor } from './doctor.ts';
import { registerGate } from './gate.ts';
import { registerInit } from './init.ts';
import { registerK8s } from './k8s.ts';
import { registerReport } from './report.ts';
import { registerResults } from './results.ts';
import { registerRun } from './run.ts';
import { registerSetup } from './setup.ts';
import { registerSink } from './sink.ts';
import { registerStack } from './stack.ts';

/** One file per command; a new command is a file and a line here. */
export function registerCommands(program: Command, context: CommandContext): void {
  registerRun(program, context);
  registerCompare(program, context);
  registerDoctor(program);
  registerSetup(program);
  registerStack(program, context);
  registerResults(program);
  registerComposeConfig(program);
  registerSink(program, context);
  registerGate(program);
  registerAb(program, context);
  registerCalibrate(program, context);
  registerBaseline(program);
  registerReport(program);
  registerInit(program);
  registerK8s(program);
  registerCoordinate(program, context);
}
