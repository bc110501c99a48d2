import type { Command } from 'commander';
import { log } from '../../common/log.ts';
import { containerEngineMissing, findTool, SERVICE_TOOLS, setup, TEST_TOOLS } from '../../stack/index.ts';

/** `centrifugo-bench setup`: installs missing services (apt) and builds the pinned Centrifugo once. */
export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('get what is missing: system packages (as root) and the pinned Centrifugo build (cached in ~/.cache)')
    // Only the test suite opens a browser; a machine that just runs benchmarks does not get one.
    .option('--for-tests', 'also what the tests need: headless Chromium for the HTML-report tests (`npm test` asks)')
    .action(async (options: { forTests?: boolean }) => {
      const started = performance.now();
      const wanted = options.forTests ? [...SERVICE_TOOLS, ...TEST_TOOLS] : SERVICE_TOOLS;
      const missingBefore: string[] = wanted.filter((id) => !findTool(id));
      if (await containerEngineMissing()) missingBefore.push('podman');
      await setup({ only: wanted, containerEngine: true });
      if (missingBefore.length === 0) log.info('setup', 'everything is already there');
      else
        log.info('setup', `done in ${((performance.now() - started) / 1000).toFixed(0)}s: ${missingBefore.join(', ')}`);
    });
}
