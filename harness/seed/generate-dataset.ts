import { createHash } from 'node:crypto';
import { en, Faker } from '@faker-js/faker';
import { parseOrExplain } from '../common/validation.ts';
import { DatasetSchema, type DatasetSpec, type DatasetSpecInput, type DeviceMix } from './dataset-schema.ts';

/** Bumped whenever generation changes for the same spec, so a stored dataset is reloaded. */
export const GENERATOR_VERSION = 1;

export interface DatasetUser {
  id: number;
  username: string;
}

export interface DatasetRoom {
  id: number;
  name: string;
  /** Member user ids, in membership order (the first N users of the dataset's ordering). */
  memberIds: number[];
}

export type DeviceProvider = 'fcm' | 'webpush';
export type DevicePlatform = 'android' | 'ios' | 'web';

/**
 * A push device without its token: the token comes from the push sink, which mints token number
 * `tokenIndex` of its provider (so the sink recognises it); see devices.ts.
 */
export interface DatasetDevice {
  id: string;
  userId: number;
  provider: DeviceProvider;
  platform: DevicePlatform;
  /** Index of this device's token among the dataset's tokens of the same provider: 0, 1, 2, … */
  tokenIndex: number;
  /** GrandChat's push topics: `chat:messages:<roomId>` of every room the user is in. */
  topics: string[];
}

export interface Dataset {
  spec: DatasetSpec;
  users: DatasetUser[];
  rooms: DatasetRoom[];
  devices: DatasetDevice[];
  /** SHA-256 of everything generated: equal fingerprints, equal datasets. */
  fingerprint: string;
}

export function roomTopic(roomId: number): string {
  return `chat:messages:${roomId}`;
}

/** Index drawn from weights (not necessarily normalised) with a uniform `u` in [0, 1). */
function pick(weights: readonly number[], u: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = u * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

const PLATFORMS: DevicePlatform[] = ['android', 'ios', 'web'];

function generateDevices(
  faker: Faker,
  mix: DeviceMix,
  users: DatasetUser[],
  topicsOf: (userId: number) => string[],
): DatasetDevice[] {
  const devices: DatasetDevice[] = [];
  const next = { fcm: 0, webpush: 0 };
  const platformWeights = [mix.fcmPlatforms.android, mix.fcmPlatforms.ios, mix.fcmPlatforms.web];
  for (const user of users) {
    const count = pick(mix.perUser, faker.number.float());
    if (count === 0) continue;
    const topics = topicsOf(user.id);
    for (let k = 0; k < count; k++) {
      const provider: DeviceProvider = faker.number.float() < mix.webPushShare ? 'webpush' : 'fcm';
      const platform: DevicePlatform =
        provider === 'webpush' ? 'web' : PLATFORMS[pick(platformWeights, faker.number.float())]!;
      devices.push({
        id: `dev_${user.id}_${k}`,
        userId: user.id,
        provider,
        platform,
        tokenIndex: next[provider]++,
        topics,
      });
    }
  }
  return devices;
}

/**
 * Generates the dataset `spec` describes. Pure: the same spec gives the same dataset (for one
 * @faker-js/faker version). 100k users take about half a second, mostly in faker's username generator.
 */
export function generateDataset(input: DatasetSpecInput | DatasetSpec = {}): Dataset {
  const spec = parseOrExplain(DatasetSchema, input, 'dataset', 'dataset');
  const faker = new Faker({ locale: [en], seed: spec.seed });

  const users: DatasetUser[] = new Array(spec.users);
  const taken = new Set<string>();
  for (let i = 0; i < spec.users; i++) {
    const id = i + 1;
    let username = faker.internet.username();
    // Unique like Django's auth_user.username; a collision keeps the name and appends the id.
    if (taken.has(username)) username = `${username}_${id}`;
    taken.add(username);
    users[i] = { id, username };
  }

  // The "unordered query" every room takes its first N members from.
  const order = new Int32Array(spec.users);
  for (let i = 0; i < spec.users; i++) order[i] = i + 1;
  if (spec.shuffleMembers) {
    for (let i = spec.users - 1; i > 0; i--) {
      const j = faker.number.int({ min: 0, max: i });
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
  }
  const rooms: DatasetRoom[] = spec.rooms.map((room, i) => ({
    id: i + 1,
    name: room.name,
    memberIds: Array.from(order.subarray(0, room.members)),
  }));

  let devices: DatasetDevice[] = [];
  if (spec.devices) {
    // Rooms are prefixes of one ordering: user u is in room r iff its position is below r's size.
    const position = new Int32Array(spec.users + 1);
    order.forEach((userId, pos) => {
      position[userId] = pos;
    });
    const topicsOf = (userId: number) =>
      rooms.filter((room) => position[userId]! < room.memberIds.length).map((room) => roomTopic(room.id));
    devices = generateDevices(faker, spec.devices, users, topicsOf);
  }

  return { spec, users, rooms, devices, fingerprint: fingerprintOf(users, rooms, devices) };
}

function fingerprintOf(users: DatasetUser[], rooms: DatasetRoom[], devices: DatasetDevice[]): string {
  const hash = createHash('sha256').update(`generator ${GENERATOR_VERSION}\n`);
  let chunk = '';
  const flush = (force = false) => {
    if (force || chunk.length > 1 << 16) {
      hash.update(chunk);
      chunk = '';
    }
  };
  for (const user of users) {
    chunk += `u${user.id}\t${user.username}\n`;
    flush();
  }
  for (const room of rooms) {
    chunk += `r${room.id}\t${room.name}\t${room.memberIds.join(',')}\n`;
    flush();
  }
  for (const d of devices) {
    chunk += `d${d.id}\t${d.userId}\t${d.provider}\t${d.platform}\t${d.tokenIndex}\t${d.topics.join(',')}\n`;
    flush();
  }
  flush(true);
  return hash.digest('hex');
}
