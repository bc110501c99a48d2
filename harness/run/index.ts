/**
 * The run pipeline: plan → stack → seed → driver → outputs → verdict. What the CLI calls to run a
 * scenario (`run`) or a matrix of them (`compare`), and to scaffold a new one (`init`); its only surface.
 */
export { type CompareInput, type CompareOutcome, runCompare } from './compare.ts';
export { OUTPUTS } from './outputs/index.ts';
export { type RunOptions, type RunOutcome, runPlan } from './pipeline.ts';
export { type DriverKind, loadPlan, type PlanOptions, type RunPlan } from './plan.ts';
export { type ScaffoldResult, scaffoldRepository } from './scaffold.ts';
