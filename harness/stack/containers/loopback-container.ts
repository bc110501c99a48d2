import { GenericContainer } from 'testcontainers';

/**
 * A GenericContainer whose published ports bind to 127.0.0.1 only: testcontainers 11 binds 0.0.0.0, and
 * every load test here must stay on loopback. Callers also set TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
 * (see loopbackEnvironment) so wait strategies dial the address the port is bound to.
 */
export class LoopbackContainer extends GenericContainer {
  override withExposedPorts(...ports: Parameters<GenericContainer['withExposedPorts']>): this {
    super.withExposedPorts(...ports);
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {})) {
      for (const binding of bindings as { HostIp?: string }[]) binding.HostIp = '127.0.0.1';
    }
    return this;
  }
}

/**
 * Environment testcontainers reads at first use: the engine socket, the host to dial, and no Ryuk (its
 * image cannot be pulled without a registry; the harness's reaper removes what a run leaves).
 */
export function loopbackEnvironment(socket: string): void {
  process.env.DOCKER_HOST = `unix://${socket}`;
  process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
}
