import type { Command } from 'commander';
import { ExitCode } from '../../common/exit-codes.ts';
import {
  cdcJarsHowToGet,
  findCdcJars,
  findTool,
  probeEngine,
  SERVICE_TOOLS,
  TEST_TOOLS,
  TOOLS,
  type ToolId,
} from '../../stack/index.ts';

/** The services, the Go toolchain that builds Centrifugo, and what only the tests need. */
const LISTED: ToolId[] = [...SERVICE_TOOLS, 'go', ...TEST_TOOLS];

/** `centrifugo-bench doctor`: every external program, its version, path and origin; exit 2 if one is missing. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('list the external programs the harness drives: version, path, where each came from')
    .option('--json', 'print one JSON object instead of a table')
    .action(async (options: { json?: boolean }) => {
      const rows = LISTED.map((id) => {
        const found = findTool(id);
        const spec = TOOLS[id];
        return {
          id: id as string,
          label: spec.label,
          found: Boolean(found),
          version: found?.version ?? null,
          path: found?.path ?? null,
          source: found?.source ?? null,
          howToGet: found ? null : spec.howToGet,
        };
      });
      // The cdc modes' jars are not a program, but a run needs them like one: listed as a row of their own.
      const jars = findCdcJars();
      rows.push({
        id: 'cdc-jars',
        label: "the cdc modes' jars (Kafka, Kafka Connect, Debezium)",
        found: Boolean(jars),
        version: jars ? `kafka ${jars.kafkaVersion}, debezium ${jars.debeziumVersion}` : null,
        path: jars?.dir ?? null,
        source: jars ? `${jars.source} (${jars.jarCount} jars)` : null,
        howToGet: jars ? null : cdcJarsHowToGet(),
      });
      const missing = rows.filter((r) => !r.found);
      // The container engine is optional (only provider containers needs it): reported, never a failure here.
      const engine = await probeEngine();
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ ok: missing.length === 0, node: process.version, tools: rows, containerEngine: engine }, null, 2)}\n`,
        );
      } else {
        const width = (key: 'id' | 'version' | 'path') => Math.max(...rows.map((r) => String(r[key] ?? '—').length), 7);
        process.stdout.write(`node ${process.version} (${process.execPath})\n`);
        for (const r of rows) {
          const mark = r.found ? 'ok ' : 'MISSING';
          process.stdout.write(
            `${mark.padEnd(8)}${r.id.padEnd(width('id') + 2)}${String(r.version ?? '—').padEnd(width('version') + 2)}` +
              `${String(r.path ?? '—').padEnd(width('path') + 2)}${r.source ?? ''}\n`,
          );
        }
        process.stdout.write(
          `container engine: ${engine.version ?? 'none'}, socket ${engine.socket}, provider containers: ` +
            `${engine.problem ?? (engine.servedPerStack ? "can run (serves Podman's API itself, per stack)" : 'engine reachable')}\n`,
        );
        for (const r of missing) process.stdout.write(`\n${r.id}: ${r.howToGet}`);
        if (missing.length) process.stdout.write('\n');
      }
      process.exitCode = missing.length === 0 ? ExitCode.ok : ExitCode.badInput;
    });
}
