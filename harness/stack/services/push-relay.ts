import { UserError } from '../../common/errors.ts';
import type { StartedSut, SutStartContext } from './sut.ts';

/** The reference push relay (harness/sut/push-relay) as a local process. Not built yet (issue: push). */
export async function startPushRelay(_context: SutStartContext): Promise<StartedSut> {
  throw new UserError('the push relay is not available yet in this version');
}
