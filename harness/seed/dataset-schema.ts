import { z } from 'zod';
import { atMost } from '../common/validation.ts';

/** GrandChat's `setup_dev` rooms (reference/centrifugo.md §7 "Seeding"): the four rows of its latency table. */
export const GRANDCHAT_ROOMS = [
  { name: 'Centrifugo', members: 100_000 },
  { name: 'Movies', members: 10_000 },
  { name: 'Programming', members: 1_000 },
  { name: 'Football', members: 100 },
] as const;

/** A relative weight (normalised against its siblings). */
const weight = z
  .number()
  .min(0)
  .max(1_000_000, atMost(1_000_000, '(weights are normalised; use fractions or percentages)'));
/** Most users a dataset has: seeded into PostgreSQL before the run, and each a possible subscriber. */
export const MAX_DATASET_USERS = 10_000_000;

/**
 * Push devices per user, for the push relay: how many (a weight per count: `[0.2, 0.6, 0.2]` = 20% of users
 * have none, 60% one, 20% two), which provider, which platform.
 */
export const DeviceMixSchema = z
  .object({
    perUser: z
      .array(weight)
      .min(1)
      .max(16)
      .default([0.2, 0.6, 0.2])
      .refine((w) => w.some((x) => x > 0), 'needs at least one weight above 0'),
    /** Share of devices that are browser Web Push subscriptions (RFC 8030); the rest are FCM tokens. */
    webPushShare: z.number().min(0).max(1).default(0.3),
    /** Platforms of FCM devices (GrandChat uses FCM for its web clients too). */
    fcmPlatforms: z
      .strictObject({ android: weight.default(0.5), ios: weight.default(0.3), web: weight.default(0.2) })
      .default({ android: 0.5, ios: 0.3, web: 0.2 })
      .refine((p) => p.android + p.ios + p.web > 0, 'needs at least one platform weight above 0'),
  })
  .strict();

/**
 * The scenario's `dataset` section: what `setup_dev` seeds, made configurable and deterministic. The same
 * `seed` (with the same @faker-js/faker version) gives the same users, memberships and devices, byte for byte.
 */
export const DatasetSchema = z
  .object({
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    users: z
      .number()
      .int()
      .min(1)
      .max(MAX_DATASET_USERS, atMost(MAX_DATASET_USERS, 'users per dataset (COPY-loaded before the run starts)'))
      .default(100_000),
    /**
     * Rooms with their member counts. Members are the first N users of one ordering of all users (GrandChat
     * takes the first N rows of an unordered query), so rooms overlap: the smallest room's members are in
     * every room.
     */
    rooms: z
      .array(
        z
          .object({
            name: z.string().min(1).max(100),
            members: z
              .number()
              .int()
              .min(0)
              .max(MAX_DATASET_USERS, atMost(MAX_DATASET_USERS, 'members (users per dataset)')),
          })
          .strict(),
      )
      .min(1)
      .max(10_000)
      .default(GRANDCHAT_ROOMS.map((room) => ({ ...room }))),
    /**
     * false: the ordering is by user id (user 1 is in every room, like a fresh GrandChat database).
     * true: a seeded permutation of the users — the overlap property stays, the ids spread.
     */
    shuffleMembers: z.boolean().default(false),
    /** Push devices; omit for none. */
    devices: DeviceMixSchema.optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.rooms.forEach((room, i) => {
      if (room.members > spec.users) {
        ctx.addIssue({
          code: 'custom',
          path: ['rooms', i, 'members'],
          message: `${room.members} members but the dataset has only ${spec.users} users`,
        });
      }
      if (seen.has(room.name)) {
        ctx.addIssue({ code: 'custom', path: ['rooms', i, 'name'], message: `room name "${room.name}" is used twice` });
      }
      seen.add(room.name);
    });
  });

export type DatasetSpec = z.infer<typeof DatasetSchema>;
export type DatasetSpecInput = z.input<typeof DatasetSchema>;
export type DeviceMix = z.infer<typeof DeviceMixSchema>;
