/**
 * The reference push relay as other modules see it: its HTTP client and the helpers the chat app calls it
 * with, its config file's shape and version (the stack starts it). The relay itself runs as a process
 * (main.ts).
 */
export {
  bindUserToRoom,
  chatMessagePush,
  PushApiError,
  PushRelayClient,
  unbindUserFromRoom,
} from './client.ts';
/** The Web Push ECDH helper's source and cached build path: setup builds it (harness/stack/toolchain/setup.ts). */
export { cachedEcdhHelperPath, ecdhHelperSource } from './ecdh-helper.ts';
export type { RelayConfigInput } from './relay-config.ts';
export { RELAY_VERSION } from './version.ts';
