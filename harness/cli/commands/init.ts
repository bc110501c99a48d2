import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { scaffoldRepository } from '../../run/index.ts';

const BIN = fileURLToPath(new URL('../bin.mjs', import.meta.url));

/** A path as a POSIX shell word: quoted only when it has to be. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** `centrifugo-bench init [dir]`: a scenario, a baselines folder and a CI workflow, like `k6 new`. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description(
      'scaffold a repository: scenarios/smoke.mts (valid as written), baselines/README.md and .github/workflows/bench.yml',
    )
    .argument('[dir]', 'the repository to write into', '.')
    .option('--force', 'overwrite files that already exist')
    .action((dir: string, options: { force?: boolean }) => {
      const result = scaffoldRepository(dir, { force: options.force });
      const lines = result.written.map((file) => `wrote ${file}`);
      const cd = path.resolve(result.dir) === process.cwd() ? '' : `cd ${shellWord(result.dir)} && `;
      const scenario = path.relative(result.dir, result.scenario);
      if (result.scenarioImport.from === 'package') {
        lines.push(`next: ${cd}npx centrifugo-bench run ${scenario}`);
      } else {
        lines.push(
          `note: centrifugo-bench is not installed in ${result.dir}, so the scenario imports ${result.scenarioImport.specifier} (this machine only); for CI, add centrifugo-bench as a devDependency and import 'centrifugo-bench/scenarios/lib/scenario.ts'`,
          `next: ${cd}node ${shellWord(BIN)} run ${scenario}`,
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
