/**
 * Publisher worker process: creates the target, runs the executor when told, reports each second, and
 * hands over every stream's final record when done. Publishing runs here, not in the engine's process,
 * so the parent stays light and its own clock readings stay honest.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { monoUs } from '../../common/mono-clock.ts';
import type { ExecutorConfig } from '../executors/index.ts';
import type { ParentToPublisher, PublisherToParent, PublisherWorkerConfig } from '../ipc.ts';
import { ProcessMonitor } from '../metrics/process-monitor.ts';
import { MetricsRecorder } from '../metrics/recorder.ts';
import type { PublishTarget } from '../targets/publish-target.ts';
import { loadTarget } from '../targets/registry.ts';
import { installFatalHandlers, onParentMessage, sendToParent } from '../worker-runtime.ts';
import { Publisher } from './publisher.ts';

installFatalHandlers();
const send = (message: PublisherToParent) => sendToParent(message);
const recorder = new MetricsRecorder();
const monitor = new ProcessMonitor();
const stop = new AbortController();
setMaxListeners(0, stop.signal); // each VU's sleep listens on it
let config: PublisherWorkerConfig | undefined;
let target: PublishTarget | undefined;
let publisher: Publisher | undefined;

onParentMessage<ParentToPublisher>(async (message) => {
  switch (message.type) {
    case 'init': {
      config = message.config;
      const create = await loadTarget(config.target.name);
      target = await create(config.target.context);
      publisher = new Publisher(
        target,
        Object.keys(config.target.context.streams),
        config.publishers.payloadBytes,
        recorder,
        { recordIntended: config.recordIntended },
      );
      send({ type: 'ready' });
      return;
    }
    case 'start': {
      if (!config || !publisher) throw new Error('start before init');
      const executor = config.publishers as ExecutorConfig;
      if (executor.startTime > 0) await sleep(executor.startTime, undefined, { signal: stop.signal }).catch(() => {});
      await publisher.run(executor, stop.signal);
      send({ type: 'done', atUs: monoUs(), streams: publisher.ledger.final() });
      return;
    }
    case 'tick':
      send({
        type: 'snapshot',
        seq: message.seq,
        metrics: recorder.snapshot(),
        process: monitor.sample(),
        atUs: monoUs(),
        streams: publisher?.ledger.progress() ?? {},
        inFlight: publisher?.ledger.inFlight() ?? 0,
      });
      return;
    case 'stop':
      stop.abort();
      return;
    case 'close':
      stop.abort();
      await target?.close().catch(() => {});
      process.exit(0);
  }
});
