import { UserError } from '../../common/errors.ts';
import type { StartedSut, SutStartContext } from './sut.ts';

/** The reference chat app (harness/sut/chat-app) as a local process. Not built yet (issue: modes). */
export async function startChatApp(_context: SutStartContext): Promise<StartedSut> {
  throw new UserError('the reference chat app is not available yet in this version');
}
