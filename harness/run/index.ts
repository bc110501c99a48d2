/**
 * The run pipeline: plan → stack → seed → driver → outputs → verdict. What the CLI calls to run a
 * scenario (`run`) or a matrix of them (`compare`), and to scaffold a new one (`init`); its only surface.
 */
export { type CompareInput, type CompareOutcome, runCompare } from './compare.ts';
export { KILL_NODE_FAULTS } from './compare-matrix.ts';
export { OUTPUTS } from './outputs/index.ts';
export { describePlan, type RunOptions, type RunOutcome, runPlan } from './pipeline.ts';
export { applyOverride, type DriverKind, loadPlan, type PlanOptions, type RunPlan, shippedScenarios } from './plan.ts';
export { type ScaffoldResult, scaffoldRepository } from './scaffold.ts';
