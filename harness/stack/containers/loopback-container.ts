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

/** Ryuk's image as testcontainers 11 names it (RYUK_CONTAINER_IMAGE overrides it there too). */
export const RYUK_IMAGE = process.env.RYUK_CONTAINER_IMAGE ?? 'testcontainers/ryuk:0.14.0';

/**
 * Whether testcontainers may start Ryuk: when the user said so (TESTCONTAINERS_RYUK_DISABLED), that; else only
 * when its image is already on the engine — a pull is not attempted, because with no registry (this project's
 * machines) it would hang the stack's start on DNS and then fail. The harness's own reaper runs either way,
 * so Ryuk is a second safety net where it exists, never the only one.
 */
export function ryukDisabled(userSetting: string | undefined, ryukImagePresent: () => boolean): string {
  if (userSetting !== undefined) return userSetting;
  return ryukImagePresent() ? 'false' : 'true';
}

/**
 * Environment testcontainers reads at first use: the engine socket, the host to dial, and Ryuk only where its
 * image is present (`docker pull testcontainers/ryuk:0.14.0` once enables it).
 */
export function loopbackEnvironment(socket: string, ryukImagePresent: () => boolean = () => false): void {
  process.env.DOCKER_HOST = `unix://${socket}`;
  process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
  process.env.TESTCONTAINERS_RYUK_DISABLED = ryukDisabled(process.env.TESTCONTAINERS_RYUK_DISABLED, ryukImagePresent);
}
