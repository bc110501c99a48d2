import { en, Faker } from '@faker-js/faker';
import { type AudienceMember, roomStream } from '../engine/index.ts';
import type { Dataset, DatasetRoom } from './generate-dataset.ts';

/**
 * Which members are online (have a subscriber):
 * - `one-per-room`: one subscriber per room, as in GrandChat's latency table;
 * - `per-room`: `count` per room (fewer when a room is smaller);
 * - `users`: exactly these user ids.
 * Chosen members are distinct users. `pick: 'last'` (default) takes members from the end of each room's
 * member list — the users in the fewest other rooms — and `'random'` a seeded random sample.
 */
export type OnlineSelection =
  | { kind: 'one-per-room'; pick?: 'last' | 'random' }
  | { kind: 'per-room'; count: number; pick?: 'last' | 'random' }
  | { kind: 'users'; userIds: number[] };

export interface AudienceOptions {
  /** Room ids the run publishes to (default: every room). Streams of other rooms are not owed. */
  rooms?: number[];
  /** Seed of the `random` pick (default: the dataset's seed). */
  seed?: number;
}

/** Room id → member user ids. */
export function roomMembers(dataset: Dataset): Map<number, number[]> {
  return new Map(dataset.rooms.map((room) => [room.id, room.memberIds]));
}

function chooseMembers(room: DatasetRoom, count: number, taken: Set<number>, random?: Faker): number[] {
  const chosen: number[] = [];
  const ids = room.memberIds;
  if (random) {
    // Seeded sample without replacement; gives up on a room that is (nearly) all taken.
    for (let tries = 0; chosen.length < count && tries < count * 20 && ids.length; tries++) {
      const id = ids[random.number.int({ min: 0, max: ids.length - 1 })]!;
      if (taken.has(id)) continue;
      taken.add(id);
      chosen.push(id);
    }
    return chosen;
  }
  for (let i = ids.length - 1; i >= 0 && chosen.length < count; i--) {
    const id = ids[i]!;
    if (taken.has(id)) continue;
    taken.add(id);
    chosen.push(id);
  }
  return chosen;
}

/**
 * The subscribers the engine runs for `selection`: each listens on `personal:<userId>` and owes the stream
 * (`room:<id>`) of every published room it is a member of — also rooms it was not chosen for, since the
 * app broadcasts to every member.
 */
export function audienceFor(
  dataset: Dataset,
  selection: OnlineSelection,
  options: AudienceOptions = {},
): AudienceMember[] {
  const rooms = options.rooms
    ? options.rooms.map((id) => {
        const room = dataset.rooms.find((r) => r.id === id);
        if (!room) throw new Error(`room ${id} is not in the dataset (rooms 1..${dataset.rooms.length})`);
        return room;
      })
    : dataset.rooms;

  let online: number[];
  if (selection.kind === 'users') {
    online = [...new Set(selection.userIds)];
  } else {
    const perRoom = selection.kind === 'one-per-room' ? 1 : selection.count;
    const random =
      selection.pick === 'random' ? new Faker({ locale: [en], seed: options.seed ?? dataset.spec.seed }) : undefined;
    const taken = new Set<number>();
    online = rooms.flatMap((room) => chooseMembers(room, perRoom, taken, random));
  }

  const memberSets = rooms.map((room) => ({ stream: roomStream(room.id), members: new Set(room.memberIds) }));
  return online.map((userId) => ({
    userId: String(userId),
    channel: `personal:${userId}`,
    streams: memberSets.filter((r) => r.members.has(userId)).map((r) => r.stream),
  }));
}
