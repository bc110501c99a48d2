import { UserError } from '../common/errors.ts';

/** One shard of a distributed run: this process is shard `index` (0-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** A run that is not sharded is shard 0 of 1: every slice is the whole. */
export const WHOLE_RUN: Shard = Object.freeze({ index: 0, count: 1 });

const SHARD_FLAG = /^(\d+)\/(\d+)$/;
const NON_NEGATIVE_INTEGER = /^\d+$/;

/** Parses `--shard i/n` (0-based i, like Kubernetes' JOB_COMPLETION_INDEX). */
export function parseShardFlag(text: string): Shard {
  const match = SHARD_FLAG.exec(text.trim());
  if (!match) throw new UserError(`--shard '${text}' is malformed: expected i/n, e.g. --shard 0/4 (i counts from 0)`);
  return checkedShard(Number(match[1]), Number(match[2]), `--shard ${text}`);
}

/**
 * Decides this process's shard from, in order: `--shard i/n`; Kubernetes' JOB_COMPLETION_INDEX with the
 * count from `--shards` or the scenario; else the whole run. When both a flag and the environment name a
 * shard they must agree — a pod whose flag contradicts its index would double one slice and drop another.
 */
export function resolveShard(input: {
  flag?: string;
  shardCount?: number;
  env?: Record<string, string | undefined>;
}): Shard {
  const completionIndex = input.env?.JOB_COMPLETION_INDEX;
  const fromFlag = input.flag === undefined ? undefined : parseShardFlag(input.flag);
  if (fromFlag && input.shardCount !== undefined && input.shardCount !== fromFlag.count) {
    throw new UserError(
      `--shard ${input.flag} says ${fromFlag.count} shards but the shard count is ${input.shardCount}`,
    );
  }
  if (completionIndex === undefined || completionIndex === '') return fromFlag ?? WHOLE_RUN;
  if (!NON_NEGATIVE_INTEGER.test(completionIndex)) {
    throw new UserError(`JOB_COMPLETION_INDEX='${completionIndex}' is not a non-negative integer`);
  }
  const count = fromFlag?.count ?? input.shardCount;
  if (count === undefined) {
    throw new UserError('JOB_COMPLETION_INDEX is set but the shard count is unknown: pass --shards N or --shard i/N');
  }
  const fromEnv = checkedShard(Number(completionIndex), count, `JOB_COMPLETION_INDEX=${completionIndex}`);
  if (fromFlag && fromFlag.index !== fromEnv.index) {
    throw new UserError(`--shard ${input.flag} contradicts JOB_COMPLETION_INDEX=${completionIndex}`);
  }
  return fromEnv;
}

function checkedShard(index: number, count: number, source: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1) throw new UserError(`${source}: the shard count must be at least 1`);
  if (!Number.isSafeInteger(index) || index >= count) {
    throw new UserError(`${source}: shard index ${index} is out of range 0..${count - 1}`);
  }
  return Object.freeze({ index, count });
}
