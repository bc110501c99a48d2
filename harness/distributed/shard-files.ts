/**
 * A shard's run folder in transit to the coordinator. On Kubernetes every pod has its own filesystem, so at the
 * end of its run a shard uploads the files the merge reads (one JSON body, each file gzipped and base64'd) and
 * the coordinator stores them under `<results>/<run-id>/shards/<i>/` on its own disk, where `coordinate --merge`
 * and `results merge` find them. On one machine both sides name the same folder: identical files are left as
 * they are, so the upload is harmless there.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

/** The upload body: `POST /results`. */
export interface ShardFilesUpload {
  readonly runId: string;
  readonly shardIndex: number;
  /** Paths relative to the shard's folder (`summary.json`, `histograms/delivery_latency.hdr`), gzip + base64. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly gzipBase64: string }>;
}

/** Written last, so a folder with them is a complete one (the merge treats a shard without them as unfinished). */
const COMPLETES_THE_FOLDER = new Set(['summary.json', 'shard.json']);

/** A file name or `folder/file`, nothing that climbs out of the shard's folder or is hidden. */
const SAFE_RELATIVE_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

export async function packShardFiles(
  dir: string,
  relativePaths: readonly string[],
  identity: { runId: string; shardIndex: number },
): Promise<ShardFilesUpload> {
  const files: Array<{ path: string; gzipBase64: string }> = [];
  for (const relative of relativePaths) {
    if (!SAFE_RELATIVE_PATH.test(relative)) throw new Error(`not a shard file path: ${JSON.stringify(relative)}`);
    const bytes = await readFile(path.join(dir, relative)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (bytes) files.push({ path: relative, gzipBase64: gzipSync(bytes).toString('base64') });
  }
  return { ...identity, files };
}

/**
 * Stores an upload under `<root>/<run-id>/shards/<i>/`: each file through a temporary name and a rename (a
 * reader never sees half a file), summary.json and shard.json last. Returns how many files and bytes were
 * written (0 when the folder already held the same files: one machine, one results directory).
 * Throws (the caller answers 400) on a path outside the folder or a file over `maxFileBytes` unpacked.
 */
export async function storeShardFiles(
  root: string,
  upload: ShardFilesUpload,
  maxFileBytes: number,
): Promise<{ files: number; written: number; bytes: number }> {
  const shardDir = path.join(root, upload.runId, 'shards', String(upload.shardIndex));
  const unpacked = upload.files.map((file) => {
    if (!SAFE_RELATIVE_PATH.test(file.path)) throw new Error(`not a shard file path: ${JSON.stringify(file.path)}`);
    try {
      return {
        path: file.path,
        bytes: gunzipSync(Buffer.from(file.gzipBase64, 'base64'), { maxOutputLength: maxFileBytes }),
      };
    } catch (error) {
      throw new Error(`${file.path}: not a gzip body of at most ${maxFileBytes} bytes (${(error as Error).message})`);
    }
  });
  const ordered = [
    ...unpacked.filter((file) => !COMPLETES_THE_FOLDER.has(file.path)),
    ...unpacked.filter((file) => COMPLETES_THE_FOLDER.has(file.path)),
  ];
  let written = 0;
  let bytes = 0;
  for (const file of ordered) {
    const target = path.join(shardDir, file.path);
    const existing = await readFile(target).catch(() => undefined);
    if (existing?.equals(file.bytes)) continue;
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomUUID()}.part`;
    await writeFile(temporary, file.bytes);
    await rename(temporary, target);
    written++;
    bytes += file.bytes.length;
  }
  return { files: unpacked.length, written, bytes };
}
