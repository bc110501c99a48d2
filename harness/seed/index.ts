/** Deterministic faker datasets (users, rooms, memberships, push devices): generate, load, and derive audiences. */
export { type AudienceOptions, audienceFor, type OnlineSelection, roomMembers } from './audience.ts';
export {
  DatasetSchema,
  type DatasetSpec,
  type DatasetSpecInput,
  type DeviceMix,
  DeviceMixSchema,
  GRANDCHAT_ROOMS,
} from './dataset-schema.ts';
export {
  type DeviceRegisterRequest,
  type DeviceWithToken,
  deviceRegisterRequests,
  mintDeviceTokens,
  registerDevices,
} from './devices.ts';
export {
  type Dataset,
  type DatasetDevice,
  type DatasetRoom,
  type DatasetUser,
  GENERATOR_VERSION,
  generateDataset,
  roomTopic,
} from './generate-dataset.ts';
export { type LoadResult, loadDataset } from './load-dataset.ts';
export { DATASET_SCHEMA_SQL, ensureDatasetSchema } from './schema.ts';
