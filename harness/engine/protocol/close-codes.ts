/**
 * What a WebSocket close code means for a Centrifugo client (reference/centrifugo.md §3 "Disconnect codes";
 * the same split the JS SDK uses): 3000–3499 may reconnect (shutdown, slow, no pong, expired, …),
 * 3500–3999 are terminal (invalid token, bad request, stale, force disconnect, limits, …). Application
 * codes mirror it: 4000–4499 reconnect, 4500+ terminal. Codes below 3000 are transport-level (1006
 * abnormal closure when a node dies, 1001 going away): the network, so reconnect.
 */
export type CloseClass = 'reconnect' | 'terminal';

export function classifyClose(code: number): CloseClass {
  if (code >= 3500 && code < 4000) return 'terminal';
  if (code >= 4500) return 'terminal';
  return 'reconnect';
}

/** Temporary reply errors worth retrying (100 internal, 111 too many requests, 113 concurrent pagination). */
export function isTemporaryReplyError(error: { code: number; temporary?: boolean }): boolean {
  return error.temporary === true || error.code === 100 || error.code === 111;
}

/** Unsubscribe push codes ≥ 2500 ask the client to resubscribe (2500 insufficient state, 2501 expired). */
export function shouldResubscribe(unsubscribeCode: number): boolean {
  return unsubscribeCode >= 2500;
}
