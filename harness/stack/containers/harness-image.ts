import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../compose/compose-config.ts';
import { type EngineCli, ensureRootfsImage } from './rootfs-image.ts';

/** The harness image's repository; the tag is a hash of what goes in, so a changed repository is a new tag. */
export const HARNESS_IMAGE_REPOSITORY = 'centrifugo-bench/harness';

/** Files of the repository the reference system under test runs from (besides its production node_modules). */
const REPO_FILES = ['package.json', 'package-lock.json', 'tsconfig.json'];
const REPO_FOLDERS = ['harness', 'scenarios'];

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((entry) => path.join(dir, entry))
    .filter((file) => statSync(file).isFile())
    .sort();
}

/** node_modules entries `npm ci --omit=dev` would install (from the lock file): nested ones come with their parent. */
function productionModules(): string[] {
  const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const wanted = Object.entries(lock.packages)
    .filter(([key, entry]) => key.startsWith('node_modules/') && !entry.dev)
    .map(([key]) => key)
    .filter((key) => existsSync(path.join(REPO_ROOT, key)))
    .sort();
  const kept: string[] = [];
  for (const key of wanted) if (!kept.some((parent) => key.startsWith(`${parent}/`))) kept.push(key);
  return kept.map((key) => path.join(REPO_ROOT, key));
}

/**
 * The tag: a hash of Node's version and every file copied from the repository (the lock file stands for
 * node_modules). Hashing the ~3 MB of sources takes milliseconds; an unchanged repository reuses the image.
 */
export function harnessImageTag(): string {
  const hash = createHash('sha256').update(process.version).update(REPO_ROOT);
  const files = [
    ...REPO_FILES.map((f) => path.join(REPO_ROOT, f)),
    ...REPO_FOLDERS.flatMap((d) => filesUnder(path.join(REPO_ROOT, d))),
  ];
  for (const file of files) hash.update(path.relative(REPO_ROOT, file)).update('\0').update(readFileSync(file));
  return `${HARNESS_IMAGE_REPOSITORY}:${hash.digest('hex').slice(0, 12)}`;
}

/**
 * One image for the push sink, the chat app and the push relay: this machine's Node binary with its
 * libraries, and the repository (sources and production node_modules) at its own absolute path, so the
 * local provider's commands run unchanged inside. Older tags of the image are removed once a new one is
 * built (no build leftovers).
 */
export function ensureHarnessImage(cli: EngineCli): { image: string; built: boolean } {
  const image = harnessImageTag();
  const node = realpathSync(process.execPath);
  const result = ensureRootfsImage(cli, {
    image,
    what: `Node ${process.version} and this repository`,
    paths: [...REPO_FILES, ...REPO_FOLDERS].map((f) => path.join(REPO_ROOT, f)).concat(productionModules()),
    executables: [node],
    files: {
      '/etc/passwd': { content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/sh\n' },
      '/etc/group': { content: 'root:x:0:\nnogroup:x:65534:\n' },
      '/etc/hosts': { content: '127.0.0.1 localhost\n' },
    },
    changes: [`WORKDIR ${REPO_ROOT}`, `ENTRYPOINT ["${node}"]`],
  });
  if (result.built) removeOlderTags(cli, image);
  return result;
}

function removeOlderTags(cli: EngineCli, keep: string): void {
  const listed = execFileSync(cli, ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' });
  for (const name of listed.split('\n')) {
    if (!name.endsWith(keep.split(':')[1] ?? '') && name.includes(HARNESS_IMAGE_REPOSITORY)) {
      try {
        execFileSync(cli, ['rmi', name], { stdio: 'ignore' });
      } catch {
        // In use by another run's container: it goes when that run is over and the next build looks.
      }
    }
  }
}
