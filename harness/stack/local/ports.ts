import net from 'node:net';
import { UserError } from '../../common/errors.ts';

/** Ports handed out in this process and not yet bound by their service: never hand one out twice. */
const handedOut = new Set<number>();

function listenOnce(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** A port nobody listens on right now, on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(host, 0);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found on ${host} after 50 attempts`);
}

/** Checks that a port the user asked for explicitly is free; a taken port is bad input (exit 2). */
export async function requireFreePort(port: number, what: string, host = '127.0.0.1'): Promise<number> {
  try {
    await listenOnce(host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new UserError(
        `port ${port} on ${host} for ${what} is already in use by another process; stop that process, ` +
          `choose another port, or leave the port unset to get a free one`,
      );
    }
    if (code === 'EACCES') {
      throw new UserError(`port ${port} on ${host} for ${what} needs privileges; choose a port above 1023`);
    }
    throw error;
  }
  handedOut.add(port);
  return port;
}
