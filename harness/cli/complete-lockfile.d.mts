// Types for the plain-JavaScript lockfile helper (plain JS because bootstrap.mjs runs it before npm ci).
export interface LockEntry {
  version?: string;
  optional?: boolean;
  dev?: boolean;
  license?: string;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optionalDependencies?: Record<string, string>;
}
export function missingPlatformEntries(lock: { packages: Record<string, LockEntry> }): Record<string, LockEntry>;
