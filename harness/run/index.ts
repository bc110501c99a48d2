/**
 * The run pipeline: plan → stack → seed → driver → outputs → verdict. What the CLI calls to run a
 * scenario (`run`), a matrix of them (`compare`), two builds interleaved (`ab`), a runner's calibration
 * (`calibrate`), and to scaffold a new one (`init`); its only surface.
 */
export { type AbOutcome, MAX_PAIRS, runAb } from './ab.ts';
export { CALIBRATION_PAIRS, DEFAULT_POWER, runCalibrate, type Slowdown } from './calibrate.ts';
export { type CompareInput, type CompareOutcome, runCompare } from './compare.ts';
export { type MergeOutcome, mergeShardRuns } from './merge-run.ts';
export { OUTPUTS } from './outputs/index.ts';
export { type RunOptions, type RunOutcome, runPlan } from './pipeline.ts';
export { type DriverKind, loadPlan, type PlanOptions, type RunPlan, scenarioHash } from './plan.ts';
export { type ScaffoldResult, scaffoldRepository } from './scaffold.ts';
export type { DistributedOptions } from './shard-session.ts';
