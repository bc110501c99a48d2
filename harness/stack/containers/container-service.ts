import { createWriteStream, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { GenericContainer, getContainerRuntimeClient, type StartedTestContainer, Wait } from 'testcontainers';
import type { ExitStatus, ServiceProcess } from '../local/managed-process.ts';
import { type CgroupCpuCounter, cgroupCpuCounter, readCgroupCpuSeconds } from './container-cpu.ts';

/** The label every container, network and volume of a run carries (`centrifugo-bench.run=<run id>`). */
export const RUN_LABEL = 'centrifugo-bench.run';

export interface ContainerSpec {
  /** Service name: the container is `cb-<run id>-<name>`, its log `<logs>/<name>.log`. */
  name: string;
  image: string;
  entrypoint?: string[];
  command?: string[];
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
  /** Small files copied in before start (configs, password files). */
  files?: { content: string; target: string; mode?: number }[];
  /** Host folders mounted at the same path inside (the run's temporary folder, its logs). */
  mounts?: string[];
  /** Host files or folders mounted read-only at the same path inside (a stack file and its secrets). */
  readOnlyMounts?: string[];
  /** Graceful stop budget before the engine kills the container. */
  stopTimeoutMs?: number;
}

/**
 * One service running in a container, through testcontainers: host network (every service binds
 * 127.0.0.1, as with the local provider, so URLs, TLS names and configs are the same on both sides),
 * labelled with the run id, output appended to the service's log file. It answers like a local process
 * (`running`, `status`, `logTail`) so the same readiness checks apply, and maps the faults to container
 * operations: kill (SIGKILL), start, pause, unpause.
 */
export class ContainerService implements ServiceProcess {
  readonly name: string;
  readonly logFile: string;
  private exitStatus: ExitStatus | undefined;
  private started: StartedTestContainer | undefined;
  /** Set when the harness stops or kills the container itself: an exit then is not a crash. */
  private expectingExit = false;
  private onCrash: (status: ExitStatus) => void = () => {};
  /** The running container's cgroup counter; a restarted container has a new cgroup, counting from zero. */
  private cpuCounter: CgroupCpuCounter | undefined;
  /** CPU seconds of the container's earlier runs (before a kill and restart), and the last read of this run. */
  private cpuOfEarlierRuns = 0;
  private cpuOfThisRun = 0;

  constructor(name: string, logFile: string) {
    this.name = name;
    this.logFile = logFile;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  get status(): ExitStatus | undefined {
    return this.exitStatus;
  }

  get id(): string | undefined {
    return this.started?.getId();
  }

  /** Called once, when the container exits without the harness asking it to. */
  whenCrashed(callback: (status: ExitStatus) => void): void {
    this.onCrash = callback;
  }

  logTail(lines = 15): string[] {
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {}
    return text.trimEnd().split('\n').slice(-lines).filter(Boolean);
  }

  /**
   * Creates and starts the container; resolves once the engine reports it started (readiness is the
   * caller's probe). A failure to create or start marks the service exited, with the reason in its log.
   */
  async start(spec: ContainerSpec, labels: Record<string, string>, runId: string): Promise<void> {
    let container = new GenericContainer(spec.image)
      .withName(`cb-${runId}-${spec.name}`)
      .withNetworkMode('host')
      .withLabels({ ...labels, 'centrifugo-bench.service': spec.name })
      .withBindMounts([
        ...(spec.mounts ?? []).map((dir) => ({ source: dir, target: dir, mode: 'rw' as const })),
        ...(spec.readOnlyMounts ?? []).map((file) => ({ source: file, target: file, mode: 'ro' as const })),
      ])
      .withEnvironment(spec.env ?? {})
      // Nothing is published (host network): there is no port to wait for; the caller probes readiness.
      .withWaitStrategy(Wait.forListeningPorts())
      .withLogConsumer((stream) => this.appendLogs(stream));
    if (spec.entrypoint) container = container.withEntrypoint(spec.entrypoint);
    if (spec.command) container = container.withCommand(spec.command);
    if (spec.user) container = container.withUser(spec.user);
    if (spec.workingDir) container = container.withWorkingDir(spec.workingDir);
    if (spec.files?.length) container = container.withCopyContentToContainer(spec.files);
    try {
      this.started = await container.start();
    } catch (error) {
      this.appendLine(`container ${spec.name} could not start: ${(error as Error).message}`);
      this.exitStatus = { code: 125, signal: null };
      throw error;
    }
    await this.findCpuCounter();
    this.watchExit();
  }

  /**
   * CPU seconds the container has used, over all its runs (a node killed and started again adds up), read
   * from its cgroup; undefined where the engine's cgroups are not visible from here.
   */
  cpuSeconds(): number | undefined {
    if (!this.cpuCounter && this.cpuOfEarlierRuns === 0) return undefined;
    const now = this.cpuCounter && readCgroupCpuSeconds(this.cpuCounter);
    if (now !== undefined) this.cpuOfThisRun = now;
    return this.cpuOfEarlierRuns + this.cpuOfThisRun;
  }

  private async findCpuCounter(): Promise<void> {
    const pid = await this.dockerode()
      .then((container) => container.inspect())
      .then(
        (info) => info.State.Pid,
        () => 0,
      );
    this.cpuCounter = pid > 0 ? cgroupCpuCounter(pid) : undefined;
  }

  private appendLogs(stream: Readable): void {
    stream.pipe(this.logStream());
  }

  private appendLine(line: string): void {
    this.logStream().end(`${line}\n`);
  }

  /**
   * The service's log file, opened lazily by Node. A stack that fails to start removes its folder while a line
   * may still be on its way (seen with Docker: the image missing, the teardown first): losing that line is
   * fine, an unhandled 'error' event crashing the harness instead of its one-line message is not.
   */
  private logStream() {
    return createWriteStream(this.logFile, { flags: 'a', mode: 0o600 }).on('error', () => {});
  }

  private async dockerode(): Promise<Dockerode.Container> {
    const client = await getContainerRuntimeClient();
    if (!this.started) throw new Error(`container ${this.name} was never started`);
    return client.container.getById(this.started.getId());
  }

  /** Waits (long poll on the engine API) for the container to exit; reports a crash unless expected. */
  private watchExit(): void {
    void this.dockerode()
      .then((container) => container.wait())
      .then(
        (result: { StatusCode?: number }) => ({ code: result.StatusCode ?? null, signal: null }),
        () => ({ code: null, signal: null }),
      )
      .then((status: ExitStatus) => {
        this.exitStatus = status;
        if (!this.expectingExit) this.onCrash(status);
      });
  }

  /**
   * SIGKILL, as a crash would (or SIGTERM, a graceful stop: SIGKILL after `graceMs`): the container stays
   * (stopped), ready for `restart()`. Its CPU so far is read first: the cgroup goes with the process.
   */
  async kill(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL', graceMs = 30_000): Promise<void> {
    if (!this.started || !this.running) return;
    this.expectingExit = true;
    this.cpuSeconds();
    const container = await this.dockerode();
    await container.kill({ signal }).catch(() => {});
    const deadline = performance.now() + graceMs;
    let killed = signal === 'SIGKILL';
    while (this.running) {
      if (!killed && performance.now() > deadline) {
        killed = true;
        await container.kill({ signal: 'SIGKILL' }).catch(() => {});
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Starts a killed container again, same config and files; its output is appended to the same log. */
  async restart(): Promise<void> {
    if (!this.started || this.running) return;
    const container = await this.dockerode();
    await container.start();
    this.exitStatus = undefined;
    this.expectingExit = false;
    this.cpuOfEarlierRuns += this.cpuOfThisRun;
    this.cpuOfThisRun = 0;
    await this.findCpuCounter();
    const client = await getContainerRuntimeClient();
    this.appendLogs(await client.container.logs(container, { since: Math.floor(Date.now() / 1000) - 1 }));
    this.watchExit();
  }

  async pause(): Promise<void> {
    await (await this.dockerode()).pause();
  }

  async unpause(): Promise<void> {
    await (await this.dockerode()).unpause();
  }

  /** Stops and removes the container (with its anonymous volumes). Idempotent. */
  async remove(timeoutMs: number): Promise<void> {
    if (!this.started) return;
    const started = this.started;
    this.expectingExit = true;
    // A paused container cannot take a stop signal: wake it first.
    await this.unpause().catch(() => {});
    await started.stop({ timeout: timeoutMs, remove: true, removeVolumes: true });
    this.exitStatus ??= { code: 0, signal: null };
    this.started = undefined;
  }
}
