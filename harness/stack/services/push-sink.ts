import { UserError } from '../../common/errors.ts';
import type { StartedSut, SutStartContext } from './sut.ts';

/** The mock FCM / Web Push sink (harness/sut/push-sink) as a local process. Not built yet (issue: push). */
export async function startPushSink(
  _context: SutStartContext,
): Promise<StartedSut & { fcmUrl: string; webPushUrl: string; caFile: string }> {
  throw new UserError('the push sink is not available yet in this version');
}
