// Puts back into package-lock.json the platform packages (darwin, win32, musl, android builds of biome
// and chDB) that npm leaves out when the registry it talks to does not serve them — the mirror this
// project is developed behind serves only some platforms. A lock without them is "out of sync" for
// `npm ci` on a machine with an empty npm cache, which is exactly what a fresh CI clone is. npm never
// installs these entries on Linux x64 (their os/cpu fields rule them out), so they cost nothing here
// and are what a full registry would have written.
//
//   node harness/cli/complete-lockfile.mjs   add the missing entries (after any `npm install`)
//
// bootstrap.mjs (before `npm ci`) and complete-lockfile.test.ts check that none is missing.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const lockPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package-lock.json');

/** os/cpu/libc of a platform package, read from its name the way biome and chDB name them. */
function platformOf(name) {
  const os = ['android', 'darwin', 'linux', 'win32'].find((candidate) => name.includes(`-${candidate}-`));
  const cpu = ['arm64', 'x64'].find((candidate) => name.includes(candidate));
  if (!os || !cpu) return undefined;
  const libc = os === 'linux' ? (name.includes('musl') ? 'musl' : 'glibc') : undefined;
  return { os, cpu, libc };
}

/** Entries missing for platform builds among locked packages' optional dependencies (license from a locked sibling). */
export function missingPlatformEntries(lock) {
  const packages = lock.packages;
  const missing = {};
  for (const entry of Object.values(packages)) {
    for (const [dependency, version] of Object.entries(entry.optionalDependencies ?? {})) {
      const dependencyKey = `node_modules/${dependency}`;
      if (packages[dependencyKey] || missing[dependencyKey]) continue;
      const platform = platformOf(dependency);
      if (!platform) continue; // not a platform build: a genuinely missing package, npm ci should say so
      const sibling = Object.entries(packages).find(
        ([siblingKey, siblingEntry]) =>
          siblingKey.startsWith(`node_modules/${dependency.split('/')[0]}/`) && siblingEntry.optional,
      )?.[1];
      missing[dependencyKey] = {
        version,
        cpu: [platform.cpu],
        ...(entry.dev ? { dev: true } : {}),
        ...(platform.libc ? { libc: [platform.libc] } : {}),
        ...(sibling?.license ? { license: sibling.license } : {}),
        optional: true,
        os: [platform.os],
      };
    }
  }
  return missing;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  const missing = missingPlatformEntries(lock);
  const names = Object.keys(missing);
  if (names.length) {
    const merged = { ...lock.packages, ...missing };
    lock.packages = Object.fromEntries(
      Object.keys(merged)
        .sort()
        .map((key) => [key, merged[key]]),
    );
    writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
    process.stderr.write(`added ${names.length} platform package(s) to package-lock.json: ${names.join(', ')}\n`);
  }
}
