import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import type { ServiceProcess } from '../local/managed-process.ts';
import type { SutRuntime } from '../services/sut.ts';
import { ContainerService, type ContainerSpec, RUN_LABEL } from './container-service.ts';
import type { EngineConnection } from './engine-service.ts';

/** Where tsx keeps compiled sources (its default: the temporary folder, per user id). */
export const TSX_CACHE = path.join(os.tmpdir(), `tsx-${process.getuid?.() ?? 0}`);

/**
 * What the container service modules need, on top of the local runtime (the run's temporary folder, logs,
 * loopback ports, teardown and reaper): start a labelled container whose removal is registered in the
 * teardown, and — for the reference system under test — run a Node command of this repository in the
 * harness image (`spawn`, the same call the local runtime answers with a process).
 */
export class ContainersRuntime implements SutRuntime {
  readonly local: LocalRuntime;
  readonly engine: EngineConnection;
  readonly label: string;
  private readonly harnessImage: () => string;
  private readonly services: ContainerService[] = [];

  constructor(local: LocalRuntime, engine: EngineConnection, harnessImage: () => string) {
    this.local = local;
    this.engine = engine;
    this.harnessImage = harnessImage;
    this.label = `${RUN_LABEL}=${local.runId}`;
    local.watchContainers(engine.socket, this.label);
    // Registered before any container: runs after every container's removal (teardown is last-in, first-out).
    local.teardown.add('release the containers from the reaper', () => local.forgetContainers(this.label));
  }

  get logsDir(): string {
    return this.local.logsDir;
  }

  get signal(): AbortSignal | undefined {
    return this.local.signal;
  }

  dir(name: string): string {
    return this.local.dir(name);
  }

  port(what: string, explicit?: number): Promise<number> {
    return this.local.port(what, explicit);
  }

  /**
   * Creates the container and registers its removal. Resolves with the handle once the engine started it;
   * the caller then waits for readiness (`waitUntilReady`), which fails with the log tail if it exits.
   */
  async start(spec: ContainerSpec & { vital?: boolean }): Promise<ContainerService> {
    this.local.signal?.throwIfAborted();
    const service = this.prepare(spec);
    await service.start(this.withRunFolders(spec), { [RUN_LABEL]: this.local.runId }, this.local.runId);
    return service;
  }

  /** The run's temporary folder and logs are mounted at their own paths: files written on either side match. */
  private withRunFolders(spec: ContainerSpec): ContainerSpec {
    return { ...spec, mounts: [...new Set([...(spec.mounts ?? []), this.local.tmpDir, path.resolve(this.logsDir)])] };
  }

  /**
   * CPU seconds each container has used so far, by service name (the local provider's names: `centrifugo-1`,
   * `postgres`, …), read from the containers' cgroups; a node killed and started again counts all its runs.
   * Containers whose cgroup is not visible from here are left out.
   */
  cpuSeconds(): Record<string, number> {
    const seconds: Record<string, number> = {};
    for (const service of this.services) {
      const used = service.cpuSeconds();
      if (used !== undefined) seconds[service.name] = used;
    }
    return seconds;
  }

  private prepare(spec: ContainerSpec & { vital?: boolean }): ContainerService {
    const service = new ContainerService(spec.name, this.local.logFile(spec.name));
    this.services.push(service);
    service.whenCrashed((status) => {
      const how = status.code === null ? 'unknown status' : `code ${status.code}`;
      // As with a local process: a service nothing under test uses (ClickHouse) dying is a warning, not a crash.
      if (spec.vital === false) {
        log.warn(
          'stack',
          `${spec.name} (container) exited unexpectedly (${how}); nothing under test uses it, so the stack goes on`,
        );
        return;
      }
      this.local.reportServiceCrash({
        service: spec.name,
        message: `${spec.name} (container) exited unexpectedly (${how})`,
        logTail: service.logTail(),
      });
    });
    this.local.teardown.add(`remove container ${spec.name}`, () => service.remove(spec.stopTimeoutMs ?? 10_000));
    return service;
  }

  /**
   * The local runtime's `spawn` for the reference system under test: `node <script> …` of this repository
   * runs in the harness image (the repository sits at its own path there), started in the background;
   * `running` turns false with the reason in the log if the container cannot start.
   */
  spawn(spec: Parameters<SutRuntime['spawn']>[0]): ServiceProcess {
    if (spec.command !== process.execPath) {
      throw new UserError(`provider containers cannot run ${spec.command} for ${spec.name}: no image for it`);
    }
    const full: ContainerSpec = {
      name: spec.name,
      // tsx's compile cache (content-addressed), shared with local runs: a container does not recompile the harness.
      mounts: existsSync(TSX_CACHE) ? [TSX_CACHE] : [],
      image: this.harnessImage(),
      entrypoint: [realpathSync(process.execPath)],
      command: spec.args,
      workingDir: spec.cwd,
      env: spec.env,
      stopTimeoutMs: spec.stopTimeoutMs,
    };
    const service = this.prepare(full);
    void service.start(this.withRunFolders(full), { [RUN_LABEL]: this.local.runId }, this.local.runId).catch(() => {});
    return service;
  }
}
