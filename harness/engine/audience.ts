/**
 * Who receives what. The audience comes from the caller (a seeded dataset's memberships) or is synthesized:
 * users u1..uN, each listening on `personal:<userId>` and owing the one `broadcast` stream — or, for the
 * `centrifugo-publish` target, each owing the stream of its own channel. With a shared `channel` every
 * user listens on that one channel and owes its stream: one publication fans out to all of them, the
 * shape of a big room or a live feed.
 */
import type { AudienceMember } from './targets/publish-target.ts';

export function synthesizeAudience(count: number, target: string, sharedChannel?: string): AudienceMember[] {
  const members: AudienceMember[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const userId = `u${i + 1}`;
    if (sharedChannel) {
      members[i] = { userId, channel: sharedChannel, streams: [sharedChannel] };
      continue;
    }
    const channel = `personal:${userId}`;
    members[i] = { userId, channel, streams: target === 'centrifugo-publish' ? [channel] : ['broadcast'] };
  }
  return members;
}

/** Stream id → the channels owing it, in audience order (a channel appears once per stream). */
export function channelsByStream(audience: readonly AudienceMember[]): Record<string, string[]> {
  // A shared channel is owed by many members but is one channel of the stream.
  const out = new Map<string, Set<string>>();
  for (const member of audience) {
    for (const stream of member.streams) {
      let channels = out.get(stream);
      if (!channels) {
        channels = new Set();
        out.set(stream, channels);
      }
      channels.add(member.channel);
    }
  }
  return Object.fromEntries([...out].map(([stream, channels]) => [stream, [...channels]]));
}

/** Splits the audience into `parts` contiguous slices as even as possible. */
export function sliceAudience<T>(audience: readonly T[], parts: number): { first: number; items: T[] }[] {
  const slices: { first: number; items: T[] }[] = [];
  let first = 0;
  for (let i = 0; i < parts; i++) {
    const size = Math.floor(audience.length / parts) + (i < audience.length % parts ? 1 : 0);
    slices.push({ first, items: audience.slice(first, first + size) });
    first += size;
  }
  return slices;
}
