/** Test helper: the chat app's write routes, as the user `userId` (header X-User-Id). */
import { request } from 'undici';
import type { CreatedMessage } from '../../../engine/index.ts';

export interface Reply<T> {
  status: number;
  body: T;
}

async function post<T>(url: string, userId: number, body?: unknown): Promise<Reply<T>> {
  const response = await request(url, {
    method: 'POST',
    headers: { 'x-user-id': String(userId), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, body: (await response.body.json()) as T };
}

export function postMessage(
  appUrl: string,
  userId: number,
  roomId: number,
  content: string,
  bench?: { s: string; q: number; t: number },
): Promise<Reply<CreatedMessage & { message?: string }>> {
  return post(`${appUrl}/api/rooms/${roomId}/messages`, userId, { content, ...(bench ? { bench } : {}) });
}

export interface MembershipReply {
  room: { id: number; version: number; member_count: number };
  user: { id: number; username: string };
  broadcast: { ok: boolean; calls: number };
  message?: string;
}

export function joinRoom(appUrl: string, userId: number, roomId: number): Promise<Reply<MembershipReply>> {
  return post(`${appUrl}/api/rooms/${roomId}/join`, userId);
}

export function leaveRoom(appUrl: string, userId: number, roomId: number): Promise<Reply<MembershipReply>> {
  return post(`${appUrl}/api/rooms/${roomId}/leave`, userId);
}
