/**
 * The run's plan before it starts, in k6's words, for the CLI's plan line:
 *   subscribers: 10000 connections, 500/s (~20s ramp), 2 worker processes (5000 each), round-robin over 1 node
 *   publishers:  constant-arrival-rate → centrifugo-broadcast: 10.00 iterations/s for 30s (maxVUs: 10, gracefulStop: 30s)
 */
import { formatK6Duration } from '../common/duration.ts';
import { type ExecutorConfig, planExecutor } from './executors/index.ts';
import { describeFault } from './fault-timeline.ts';
import { type FleetPlan, planFleet } from './fleet-plan.ts';
import { DEFAULT_CONNECT_RATE, type Workload } from './workload.ts';

export interface WorkloadPlan {
  subscribers: {
    count: number;
    fleet: FleetPlan;
    /** Scheduled ramp duration, ms. */
    rampMs: number;
    ramp: string;
    nodes: string;
  };
  publishers: {
    executor: string;
    target: string;
    description: string;
    /** Iterations (messages) the schedule holds, when the executor fixes it. */
    iterations: number | null;
    maxVUs: number;
    durationMs: number;
    startTimeMs: number;
    /** What startTime counts from: the fleet connected, or the start of the connection ramp. */
    startAfter: Workload['publishers']['startAfter'];
    gracefulStopMs: number;
    /** The injected slowdown (publishers.slowdown), ms; 0 = off. */
    slowdownMs: number;
  };
  drainMs: number;
  faults: string[];
  /**
   * Upper bound of the run: ramp + grace + startTime + duration + gracefulStop + drain; with startAfter
   * 'ramp-start', max(ramp, startTime + duration + gracefulStop) + drain.
   */
  maxDurationMs: number;
}

export function rampDurationMs(w: Workload): number {
  const s = w.subscribers;
  if (s.stages) return s.stages.reduce((sum, stage) => sum + stage.duration, 0);
  return (s.count / (s.connectRate ?? DEFAULT_CONNECT_RATE)) * 1000;
}

/**
 * `w` is a parsed workload (parseWorkload), only read. `nodeCount`: how many Centrifugo nodes the stack has
 * (for the description; default: as many as named).
 */
export function planWorkload(w: Workload, options: { nodeCount?: number } = {}): WorkloadPlan {
  const s = w.subscribers;
  const fleet = planFleet(s.count, s);
  const rampMs = rampDurationMs(w);
  const executor = planExecutor(w.publishers as ExecutorConfig);
  const alongsideRamp = w.publishers.startAfter === 'ramp-start';
  const publishMs = w.publishers.startTime + executor.durationMs + executor.gracefulStopMs;
  const nodes =
    s.nodes === 'all'
      ? options.nodeCount
        ? `${options.nodeCount} node${options.nodeCount === 1 ? '' : 's'}`
        : 'all nodes'
      : `node${s.nodes.length === 1 ? '' : 's'} ${s.nodes.join(', ')}`;
  return {
    subscribers: {
      count: s.count,
      fleet,
      rampMs,
      ramp: s.stages
        ? `${s.stages.length} stage${s.stages.length === 1 ? '' : 's'} over ${formatK6Duration(rampMs)}`
        : `${s.connectRate ?? DEFAULT_CONNECT_RATE}/s (~${formatK6Duration(Math.ceil(rampMs / 1000) * 1000)} ramp)`,
      nodes,
    },
    publishers: {
      executor: w.publishers.executor,
      target: w.publishers.target,
      description: executor.description,
      iterations: executor.iterations,
      maxVUs: executor.maxVUs,
      durationMs: executor.durationMs,
      startTimeMs: w.publishers.startTime,
      startAfter: w.publishers.startAfter,
      gracefulStopMs: executor.gracefulStopMs,
      slowdownMs: w.publishers.slowdown,
    },
    drainMs: w.drain,
    faults: w.faults.map((f) => `at ${formatK6Duration(f.at)} ${describeFault(f)}`),
    maxDurationMs: (alongsideRamp ? Math.max(rampMs, publishMs) : rampMs + s.rampGrace + publishMs) + w.drain,
  };
}

/** The injected slowdown in words, for the plan line and the run's timeline: `every publication held 1.5 ms longer …`. */
export function describeSlowdown(ms: number): string {
  // Rounded to the microsecond: units add up with float noise ('9us' is 0.009000000000000001 ms).
  return `every publication held ${Number(ms.toFixed(3))} ms longer before it is sent`;
}

/** The subscribers' read batch window (protocol/read-batching.ts), for the plan line: what it adds to latency. */
function describeReadBatching(ms: number): string {
  if (ms === 0) return '';
  const window = Number(ms.toFixed(3));
  return `; reads batched up to ${window} ms while a broadcast trickles in (a delivery's latency includes ≤ ${window} ms of it)`;
}

/** When publishing starts, for the plan line. */
function publishingStart(p: WorkloadPlan['publishers']): string {
  if (p.startAfter === 'ramp-start') {
    return p.startTimeMs
      ? `, starting ${formatK6Duration(p.startTimeMs)} into the connection ramp`
      : ', starting with the connection ramp (subscribers owe what is sent after they subscribe)';
  }
  return p.startTimeMs ? `, starting ${formatK6Duration(p.startTimeMs)} after the ramp` : '';
}

/**
 * Lists at most this many items in a plan line, whatever the input: the line's length must not grow with
 * the plan (a fleet of millions of workers once wrote a 400 MB line).
 */
const MAX_LISTED = 8;

function listBounded(items: readonly string[], separator: string): string {
  if (items.length <= MAX_LISTED) return items.join(separator);
  return `${items.slice(0, MAX_LISTED).join(separator)}${separator}… ${items.length - MAX_LISTED} more`;
}

/** `3 worker processes (5000/5000/4999)`, or the range once there are too many to list. */
function describeWorkers(perWorker: readonly number[]): string {
  if (perWorker.length === 0) return 'no worker processes';
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const n of perWorker) {
    min = Math.min(min, n);
    max = Math.max(max, n);
  }
  const each =
    min === max ? `${min} each` : perWorker.length <= MAX_LISTED ? perWorker.join('/') : `${min}–${max} each`;
  return `${perWorker.length} worker process${perWorker.length === 1 ? '' : 'es'} (${each})`;
}

/** Human lines for the plan (k6's executor descriptions). */
export function describeWorkload(w: Workload, options: { nodeCount?: number } = {}): string {
  const p = planWorkload(w, options);
  const workers = describeWorkers(p.subscribers.fleet.perWorker);
  const rampUncovered =
    p.publishers.startAfter === 'ramp-start' &&
    p.publishers.startTimeMs + p.publishers.durationMs < p.subscribers.rampMs;
  const lines = [
    `subscribers: ${p.subscribers.count} connections, ${p.subscribers.ramp}, ${workers}, round-robin over ${p.subscribers.nodes}` +
      describeReadBatching(w.subscribers.readBatchWindow),
    `publishers:  ${p.publishers.executor} → ${p.publishers.target}: ${p.publishers.description}` +
      (p.publishers.iterations !== null ? `, ${p.publishers.iterations} messages` : '') +
      publishingStart(p.publishers) +
      (p.publishers.slowdownMs > 0 ? `; injected slowdown: ${describeSlowdown(p.publishers.slowdownMs)}` : ''),
    `drain:       ${formatK6Duration(p.drainMs)} (ends early once every owed message arrived)`,
  ];
  if (rampUncovered) {
    lines.push(
      `note:        publishing ends ${formatK6Duration(Math.ceil((p.subscribers.rampMs - p.publishers.startTimeMs - p.publishers.durationMs) / 1000) * 1000)} before the ramp does`,
    );
  }
  if (p.faults.length) lines.push(`faults:      ${listBounded(p.faults, '; ')} (from the start of publishing)`);
  lines.push(
    `max duration: ${formatK6Duration(Math.ceil(p.maxDurationMs / 1000) * 1000)} (incl. ${
      p.publishers.startAfter === 'ramp-start' ? '' : 'ramp grace, '
    }graceful stop and drain)`,
  );
  return lines.join('\n');
}
