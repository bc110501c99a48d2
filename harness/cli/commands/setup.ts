import type { Command } from 'commander';
import { log } from '../../common/log.ts';
import { findTool, SERVICE_TOOLS, setup } from '../../stack/index.ts';

/** `centrifugo-bench setup`: installs missing services (apt) and builds the pinned Centrifugo once. */
export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('get what is missing: system packages (as root) and the pinned Centrifugo build (cached in ~/.cache)')
    .action(async () => {
      const started = performance.now();
      const missingBefore = SERVICE_TOOLS.filter((id) => !findTool(id));
      await setup();
      if (missingBefore.length === 0) log.info('setup', 'everything is already there');
      else
        log.info('setup', `done in ${((performance.now() - started) / 1000).toFixed(0)}s: ${missingBefore.join(', ')}`);
    });
}
