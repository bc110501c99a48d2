/**
 * Subscriber worker process: holds its slice of the fleet and answers the engine's messages (ipc.ts).
 */
import { redact, registerSecret } from '../../common/log.ts';
import { monoUs } from '../../common/mono-clock.ts';
import type { ParentToSubscriber, SubscriberToParent } from '../ipc.ts';
import { ProcessMonitor } from '../metrics/process-monitor.ts';
import { MetricsRecorder } from '../metrics/recorder.ts';
import { configureReadBatching } from '../protocol/read-batching.ts';
import { useNativeSocketReader } from '../protocol/socket-reader/reader.ts';
import { installFatalHandlers, onParentMessage, sendToParent } from '../worker-runtime.ts';
import { SubscriberFleet } from './subscriber-fleet.ts';

installFatalHandlers();
const send = (message: SubscriberToParent) => sendToParent(message);
const recorder = new MetricsRecorder();
const monitor = new ProcessMonitor();
let fleet: SubscriberFleet | undefined;
let logged = 0;

onParentMessage<ParentToSubscriber>(async (message) => {
  switch (message.type) {
    case 'init': {
      registerSecret(message.config.hmacSecret);
      configureReadBatching(message.config.readBatchWindowUs ?? 0);
      if (message.config.nativeSocketReaderPath) useNativeSocketReader(message.config.nativeSocketReaderPath);
      const id = message.config.workerId;
      const offsetUs = message.config.clockOffsetUs ?? 0;
      fleet = new SubscriberFleet(
        message.config,
        recorder,
        (line) => {
          // A few examples are enough to diagnose; counts are in errors by code.
          if (logged++ < 5) process.stderr.write(redact(`engine   [${id}] ${line}\n`));
        },
        // A shard of a distributed run receives in the coordinator's time base, as publishers stamp.
        offsetUs === 0 ? monoUs : () => monoUs() + offsetUs,
      );
      await fleet.prepare();
      send({ type: 'ready' });
      return;
    }
    case 'connect':
      fleet?.startRamp();
      return;
    case 'tick': {
      const { missing } = fleet?.snapshot() ?? { missing: 0 };
      const samples = fleet?.takeSamples();
      send({
        type: 'snapshot',
        seq: message.seq,
        metrics: recorder.snapshot(),
        process: monitor.sample(),
        connected: fleet?.subscribedCount ?? 0,
        target: fleet?.target ?? 0,
        missing,
        ...(samples ? { samples: samples.rows, samplesDropped: samples.dropped } : {}),
      });
      return;
    }
    case 'progress':
      fleet?.applyProgress(message.atUs, message.streams);
      return;
    case 'account':
      if (!fleet) throw new Error('account before init');
      send({ type: 'accounted', result: fleet.account(message.atUs, message.streams) });
      return;
    case 'close':
      fleet?.close();
      // Let the FINs go out before exiting.
      setTimeout(() => process.exit(0), 200);
      return;
  }
});
