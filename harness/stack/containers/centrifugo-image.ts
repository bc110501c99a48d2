import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import { findTool } from '../toolchain/tools.ts';
import { IMAGES } from '../versions.ts';
import { type EngineCli, imageExists } from './rootfs-image.ts';

/**
 * The Centrifugo image under its official name, built locally when no registry can be reached: the
 * statically linked binary the local provider uses, imported as a one-file rootfs (~0.2 s; the measured
 * fast path of reference/containers.md). An image already present is reused as is.
 */
export function ensureCentrifugoImage(
  cli: EngineCli = 'podman',
  image: string = IMAGES.centrifugo,
): { image: string; built: boolean } {
  if (imageExists(cli, image)) return { image, built: false };
  const binary = findTool('centrifugo')?.path;
  if (!binary) {
    throw new UserError(
      `image ${image} is missing and cannot be built: no Centrifugo binary (run \`centrifugo-bench setup\`)`,
    );
  }
  const rootfs = mkdtempSync(path.join(os.tmpdir(), 'cb-centrifugo-rootfs-'));
  try {
    mkdirSync(path.join(rootfs, 'usr/local/bin'), { recursive: true });
    mkdirSync(path.join(rootfs, 'tmp'), { recursive: true });
    copyFileSync(binary, path.join(rootfs, 'usr/local/bin/centrifugo'));
    execFileSync(
      'sh',
      [
        '-c',
        `tar -C "$1" -c . | "$3" import --change 'ENTRYPOINT ["/usr/local/bin/centrifugo"]' ` +
          `--change 'WORKDIR /centrifugo' - "$2"`,
        'import',
        rootfs,
        image,
        cli,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  log.info('stack', `built ${image} locally from ${binary} (no registry)`);
  return { image, built: true };
}
