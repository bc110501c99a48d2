/** The push sink's surface for its neighbours (the CLI command, tests). Senders use its network API only. */
export {
  type FaultProfile,
  type FaultProfileInput,
  FaultProfileSchema,
  parseFaultProfile,
  parseSinkConfig,
  type SinkConfig,
  type SinkConfigInput,
  SinkConfigSchema,
} from './config.ts';
export { fcmToken, verifyFcmToken } from './device-tokens.ts';
export { type RunningSink, type SinkEndpoints, type SinkLogger, startSink } from './primary.ts';
export type { Receipt } from './receipts.ts';
export { type PushSubscriptionJson, webPushSubscription } from './subscriptions.ts';
