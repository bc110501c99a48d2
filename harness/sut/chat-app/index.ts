/**
 * The reference chat app as other modules see it: its broadcast modes, its schema (the seeder fills the
 * dataset tables), its config file's shape and version (the stack starts it). The app itself runs as a
 * process (main.ts); nothing outside imports its server.
 */
export type { ChatAppConfigInput } from './config.ts';
export { BROADCAST_MODES, type BroadcastMode, MODE_PARTS, type ModeParts } from './modes.ts';
export { DATASET_TABLES_SQL, ensureChatSchema, SCHEMA_LOCK_KEY } from './schema.ts';
export { CHAT_APP_VERSION } from './version.ts';
