/** What tests and benches of other modules may use of the sink beyond its surface: its Web Push decryption. */
export { decryptWebPush } from './aes128gcm.ts';
