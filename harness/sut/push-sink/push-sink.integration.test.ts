import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import webpush from 'web-push';
import { parseSinkConfig } from './config.ts';
import { fcmToken } from './device-tokens.ts';
import { type RunningSink, startSink } from './primary.ts';
import type { PushSubscriptionJson } from './subscriptions.ts';
import { SinkClient } from './test-client.ts';

const monotonicUs = () => String(process.hrtime.bigint() / 1000n);
const vapidKeys = webpush.generateVAPIDKeys();
const vapidDetails = {
  subject: 'mailto:bench@example.com',
  publicKey: vapidKeys.publicKey,
  privateKey: vapidKeys.privateKey,
};

function vapidHeader(claims: Record<string, unknown>, keys = vapidKeys, signWith = vapidKeys.privateKey): string {
  const pub = Buffer.from(keys.publicKey, 'base64url');
  const key = createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: pub.subarray(1, 33).toString('base64url'),
      y: pub.subarray(33).toString('base64url'),
      d: signWith,
    },
  });
  const h = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'ES256' })).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const s = sign('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `vapid t=${h}.${p}.${s}, k=${keys.publicKey}`;
}

describe('push sink, 2 workers, default limits', () => {
  let sink: RunningSink;
  let client: SinkClient;
  let access: string;
  let tokens: string[];
  let subs: PushSubscriptionJson[];

  before(async () => {
    sink = await startSink(parseSinkConfig({ workers: 2, seed: 'integration' }));
    client = new SinkClient(sink.endpoints);
    tokens = (await client.control<{ tokens: string[] }>('POST', '/fcm/tokens', { count: 10 })).tokens;
    subs = (
      await client.control<{ subscriptions: PushSubscriptionJson[] }>('POST', '/webpush/subscriptions', { count: 5 })
    ).subscriptions;
  });
  after(async () => {
    client?.close();
    await sink?.stop();
  });

  test('health answers over HTTP/2 and HTTP/1.1', async () => {
    const h2 = await client.h2('GET', '/health');
    const h1 = await client.h1('GET', '/health');
    assert.deepEqual([h2.status, h1.status], [200, 200]);
    assert.equal(h1.json<{ workers: number }>().workers, 2);
  });

  test('OAuth: a real RS256 assertion gets a Bearer token', async () => {
    const res = await client.tokenRequest(await client.assertion());
    assert.equal(res.status, 200);
    const body = res.json<{ access_token: string; expires_in: number; token_type: string }>();
    assert.equal(body.expires_in, 3599);
    assert.equal(body.token_type, 'Bearer');
    assert.match(body.access_token, /^ya29\./);
    access = body.access_token;
    // Google's own audience works too (the Node google-auth-library hard-codes it).
    const google = await client.tokenRequest(await client.assertion({ aud: 'https://oauth2.googleapis.com/token' }));
    assert.equal(google.status, 200);
  });

  test('OAuth: bad assertions get Google error bodies', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const forged = await client.tokenRequest(await client.assertion({}, String(stranger)));
    assert.equal(forged.status, 400);
    assert.deepEqual(forged.json(), { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const now = Math.floor(Date.now() / 1000);
    const expired = await client.tokenRequest(await client.assertion({ iat: now - 7200, exp: now - 3600 }));
    assert.equal(expired.status, 400);
    assert.match(expired.json<{ error_description: string }>().error_description, /short-lived token \(60 minutes\)/);
    const tooLong = await client.tokenRequest(await client.assertion({ iat: now, exp: now + 7200 }));
    assert.equal(tooLong.json<{ error: string }>().error, 'invalid_grant');
    const wrongAud = await client.tokenRequest(await client.assertion({ aud: 'https://example.com/token' }));
    assert.equal(wrongAud.json<{ error: string }>().error, 'invalid_grant');
    const grant = await client.tokenRequest(await client.assertion(), 'client_credentials');
    assert.equal(grant.json<{ error: string }>().error, 'unsupported_grant_type');
    const noScope = await client.tokenRequest(await client.assertion({ scope: '' }));
    assert.equal(noScope.json<{ error: string }>().error, 'invalid_scope');
    const unknownIss = await client.tokenRequest(
      await client.assertion({ iss: 'someone@else.iam.gserviceaccount.com' }),
    );
    assert.equal(unknownIss.status, 401);
    assert.equal(unknownIss.json<{ error: string }>().error, 'invalid_client');
  });

  test('FCM send works over HTTP/2 and HTTP/1.1 and leaves receipts with the bench convention', async () => {
    const h2 = await client.send(access, {
      token: tokens[0],
      data: { bench_push_id: 'fcm-h2', bench_t: monotonicUs() },
    });
    assert.equal(h2.status, 200, h2.body);
    assert.equal(h2.headers['content-type'], 'application/json; charset=UTF-8');
    assert.match(h2.json<{ name: string }>().name, /^projects\/bench-project\/messages\/0:\d+%[0-9a-z]+-[0-9a-z]+$/);
    const h1 = await client.send(
      access,
      { token: tokens[1], data: { bench_push_id: 'fcm-h1', bench_t: monotonicUs() } },
      { http1: true },
    );
    assert.equal(h1.status, 200, h1.body);
    const byNumber = await client.send(access, { token: tokens[2] }, { project: sink.endpoints.projectNumber });
    assert.equal(byNumber.status, 200, 'projects/{number} works too');
    const { receipts } = await client.control<{ receipts: { pushId: string; provider: string; device: number }[] }>(
      'GET',
      '/receipts?pushId=fcm-h2&pushId=fcm-h1',
    );
    assert.deepEqual(receipts.map((r) => [r.pushId, r.provider, r.device]).sort(), [
      ['fcm-h1', 'fcm', 1],
      ['fcm-h2', 'fcm', 0],
    ]);
    const dry = await client.h2(
      'POST',
      `/v1/projects/${sink.endpoints.projectId}/messages:send`,
      JSON.stringify({ validate_only: true, message: { token: tokens[3], data: { bench_push_id: 'dry' } } }),
      { authorization: `Bearer ${access}` },
    );
    assert.equal(dry.status, 200);
    const none = await client.control<{ receipts: unknown[] }>('GET', '/receipts?pushId=dry');
    assert.deepEqual(none.receipts, [], 'validate_only delivers nothing');
  });

  test('FCM auth errors: 401 with WWW-Authenticate, 403 for another project', async () => {
    const missing = await client.h2('POST', `/v1/projects/${sink.endpoints.projectId}/messages:send`, '{}');
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="https://accounts.google.com/"');
    const forged = await client.send('ya29.c.forged', { token: tokens[0] });
    assert.equal(forged.status, 401);
    assert.equal(
      forged.headers['www-authenticate'],
      'Bearer realm="https://accounts.google.com/", error="invalid_token"',
    );
    assert.equal(forged.json<{ error: { status: string } }>().error.status, 'UNAUTHENTICATED');
    const otherProject = await client.send(access, { token: tokens[0] }, { project: 'someone-elses-project' });
    assert.equal(otherProject.status, 403);
    assert.equal(otherProject.json<{ error: { status: string } }>().error.status, 'PERMISSION_DENIED');
  });

  test('FCM token errors: malformed 400, stranger 404, other sender 403, dead 404 every time', async () => {
    const malformed = await client.send(access, { token: 'not-a-token' });
    assert.equal(malformed.status, 400);
    assert.equal(
      malformed.json<{ error: { message: string } }>().error.message,
      'The registration token is not a valid FCM registration token',
    );
    const stranger = await client.send(access, { token: fcmToken('another seed', 'bench-project', 1) });
    assert.equal(stranger.status, 404);
    assert.equal(
      stranger.json<{ error: { details: { errorCode: string }[] } }>().error.details[0]?.errorCode,
      'UNREGISTERED',
    );
    const foreign = (
      await client.control<{ tokens: string[] }>('POST', '/fcm/tokens', { count: 1, project: 'other-project' })
    ).tokens[0];
    const mismatch = await client.send(access, { token: foreign });
    assert.equal(mismatch.status, 403);
    assert.equal(
      mismatch.json<{ error: { details: { errorCode: string }[] } }>().error.details[0]?.errorCode,
      'SENDER_ID_MISMATCH',
    );
    const dead = (
      await client.control<{ tokens: string[] }>('POST', '/fcm/tokens', { count: 1, start: 100, dead: true })
    ).tokens[0];
    for (let i = 0; i < 3; i++) assert.equal((await client.send(access, { token: dead })).status, 404);
    const hits = await client.control<{ fcm: { device: number; hits: number }[] }>('GET', '/dead-hits');
    assert.deepEqual(hits.fcm, [{ device: 100, hits: 3 }]);
    const stats = await client.control<{ dead: { fcm: { tokens: number; hits: number; repeatHits: number } } }>(
      'GET',
      '/stats',
    );
    assert.deepEqual(stats.dead.fcm, { tokens: 1, hits: 3, repeatHits: 2, maxHits: 3 });
  });

  test('FCM message errors carry Google bodies', async () => {
    const badData = await client.send(access, { token: tokens[0], data: { a: 12 } });
    assert.equal(badData.status, 400);
    assert.deepEqual(badData.json<{ error: { details: unknown[] } }>().error.details, [
      {
        '@type': 'type.googleapis.com/google.rpc.BadRequest',
        fieldViolations: [
          { field: 'message.data[0].value', description: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12" },
        ],
      },
    ]);
    const big = await client.send(access, { token: tokens[0], data: { blob: 'x'.repeat(5000) } });
    assert.equal(big.status, 400);
    assert.equal(big.json<{ error: { message: string } }>().error.message, 'Android message is too big');
    const twoTargets = await client.send(access, { token: tokens[0], topic: 'news' });
    assert.equal(twoTargets.status, 400);
    const notJson = await client.h2('POST', `/v1/projects/${sink.endpoints.projectId}/messages:send`, '{nope', {
      authorization: `Bearer ${access}`,
    });
    assert.equal(notJson.status, 400);
    assert.match(notJson.json<{ error: { message: string } }>().error.message, /^Invalid JSON payload received/);
  });

  test('Web Push: the web-push library is accepted (201 + Location + TTL) and the payload decrypted', async () => {
    const before = await client.control<{ webpush: { decrypted: number } }>('GET', '/stats');
    const res = await webpush.sendNotification(subs[0] as PushSubscriptionJson, 'hello from the bench', {
      vapidDetails,
      TTL: 120,
      agent: client.httpsAgent,
      headers: { 'X-Bench-Push-Id': 'wp-1', 'X-Bench-T': monotonicUs() },
    });
    assert.equal(res.statusCode, 201);
    assert.match(String(res.headers.location), new RegExp(`^${sink.endpoints.url}/m/`));
    assert.equal(res.headers.ttl, '120');
    const after = await client.control<{ webpush: { decrypted: number; decryptFailed: number } }>('GET', '/stats');
    assert.equal(after.webpush.decrypted, before.webpush.decrypted + 1);
    const { receipts } = await client.control<{ receipts: { provider: string; device: number }[] }>(
      'GET',
      '/receipts?pushId=wp-1',
    );
    assert.deepEqual(
      receipts.map((r) => [r.provider, r.device]),
      [['webpush', 0]],
    );
    // Over HTTP/2 as well, from generateRequestDetails.
    const details = webpush.generateRequestDetails(subs[1] as PushSubscriptionJson, 'via h2', {
      vapidDetails,
      TTL: 10,
    });
    const headers = Object.fromEntries(Object.entries(details.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    delete headers['content-length'];
    const h2 = await client.h2('POST', new URL(details.endpoint).pathname, details.body, headers);
    assert.equal(h2.status, 201);
  });

  test('Web Push refusals: VAPID forged, wrong aud, expired, >24h; TTL; size; unknown and dead subscriptions', async () => {
    const sub = subs[2] as PushSubscriptionJson;
    const path = new URL(sub.endpoint).pathname;
    const now = Math.floor(Date.now() / 1000);
    const body = webpush.encrypt(sub.keys.p256dh, sub.keys.auth, 'payload', 'aes128gcm').cipherText;
    const post = (authorization: string | undefined, extra: Record<string, string> = {}, payload: Buffer = body) =>
      client.h2('POST', path, payload, {
        'content-encoding': 'aes128gcm',
        ttl: '60',
        ...(authorization ? { authorization } : {}),
        ...extra,
      });
    const good = { aud: sink.endpoints.url, exp: now + 3600, sub: 'mailto:bench@example.com' };
    assert.equal((await post(vapidHeader(good))).status, 201);
    const other = webpush.generateVAPIDKeys();
    const cases: [string | undefined, number, string][] = [
      [vapidHeader(good, vapidKeys, other.privateKey), 403, 'invalid JWT provided'],
      [
        vapidHeader({ ...good, aud: 'https://push.example.com' }),
        403,
        'aud claim in the token MUST include the origin of the push resource URL',
      ],
      [vapidHeader({ ...good, exp: now - 10 }), 403, 'token has expired'],
      [
        vapidHeader({ ...good, exp: now + 25 * 3600 }),
        403,
        'exp claim MUST NOT be more than 24 hours from the time of the request',
      ],
      [undefined, 401, 'missing authorization header'],
    ];
    for (const [authorization, status, message] of cases) {
      const res = await post(authorization);
      assert.equal(res.status, status, message);
      assert.deepEqual(res.json(), {
        code: status,
        errno: 109,
        error: status === 401 ? 'Unauthorized' : 'Forbidden',
        message,
        more_info: 'http://autopush.readthedocs.io/en/latest/http.html#error-codes',
      });
    }
    const auth = vapidHeader(good);
    const noTtl = await client.h2('POST', path, body, { 'content-encoding': 'aes128gcm', authorization: auth });
    assert.equal(noTtl.status, 400);
    assert.equal(noTtl.json<{ errno: number }>().errno, 111);
    assert.equal((await post(auth, { urgency: 'whenever' })).status, 400);
    assert.equal((await post(auth, { topic: 'a topic with spaces' })).status, 400);
    assert.equal((await post(auth, { 'content-encoding': 'aesgcm' })).status, 400);
    const huge = webpush.encrypt(sub.keys.p256dh, sub.keys.auth, 'x'.repeat(3994), 'aes128gcm').cipherText;
    assert.equal(huge.length, 4097);
    assert.equal((await post(auth, {}, huge)).status, 413);
    const undecryptable = Buffer.from(body);
    undecryptable[body.length - 1] = (undecryptable[body.length - 1] ?? 0) ^ 1;
    assert.equal((await post(auth, {}, undecryptable)).status, 400);

    const unknown = await client.h2('POST', `/wp/${'A'.repeat(43)}`, body, {
      ttl: '60',
      'content-encoding': 'aes128gcm',
      authorization: auth,
    });
    assert.equal(unknown.status, 404);
    const [dead] = (
      await client.control<{ subscriptions: PushSubscriptionJson[] }>('POST', '/webpush/subscriptions', {
        count: 1,
        start: 50,
        dead: true,
      })
    ).subscriptions;
    for (let i = 0; i < 2; i++) {
      const res = await client.h2('POST', new URL((dead as PushSubscriptionJson).endpoint).pathname, body, {
        ttl: '60',
        authorization: auth,
      });
      assert.equal(res.status, 410);
    }
  });

  test('Web Push restricted subscriptions: k must be the applicationServerKey', async () => {
    const [restricted] = (
      await client.control<{ subscriptions: PushSubscriptionJson[] }>('POST', '/webpush/subscriptions', {
        count: 1,
        start: 60,
        applicationServerKey: vapidKeys.publicKey,
      })
    ).subscriptions;
    const sub = restricted as PushSubscriptionJson;
    const ok = await webpush.sendNotification(sub, 'restricted', { vapidDetails, agent: client.httpsAgent });
    assert.equal(ok.statusCode, 201);
    const other = webpush.generateVAPIDKeys();
    await assert.rejects(
      webpush.sendNotification(sub, 'restricted', {
        vapidDetails: { ...vapidDetails, publicKey: other.publicKey, privateKey: other.privateKey },
        agent: client.httpsAgent,
      }),
      (error: { statusCode: number; body: string }) =>
        error.statusCode === 403 && JSON.parse(error.body).message === 'VAPID key mismatch',
    );
  });

  test('faults at run time: error mix with Retry-After, outage windows per provider, latency', async () => {
    const put = await client.control<{ appliedAtUs: number }>('PUT', '/faults', {
      errors: { fcm: { '503': 1 } },
      retryAfterSeconds: { '503': 7 },
    });
    assert.ok(put.appliedAtUs > 0);
    const unavailable = await client.send(access, { token: tokens[4] });
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.headers['retry-after'], '7');
    assert.equal(unavailable.json<{ error: { status: string } }>().error.status, 'UNAVAILABLE');

    await client.control('PUT', '/faults', {
      windows: [{ startSeconds: 0, durationSeconds: 30, provider: 'webpush', status: 429, retryAfterSeconds: 3 }],
    });
    assert.equal((await client.send(access, { token: tokens[4] })).status, 200, 'FCM is outside the window');
    await assert.rejects(
      webpush.sendNotification(subs[3] as PushSubscriptionJson, 'storm', { vapidDetails, agent: client.httpsAgent }),
      (error: { statusCode: number; headers: Record<string, string> }) =>
        error.statusCode === 429 && error.headers['retry-after'] === '3',
    );

    await client.control('PUT', '/faults', { latency: { fcm: { p50Ms: 150, p99Ms: 150 } } });
    const started = performance.now();
    assert.equal((await client.send(access, { token: tokens[5] })).status, 200);
    assert.ok(performance.now() - started >= 140, 'the injected latency was served');
    const bad = await client.h1('PUT', '/__sink/faults', JSON.stringify({ errors: { fcm: { '404': 0.5 } } }), {
      'content-type': 'application/json',
    });
    assert.equal(bad.status, 400);
    assert.match(bad.json<{ error: string }>().error, /errors\.fcm/);
    await client.control('PUT', '/faults', {});
  });

  test('stats aggregate both workers: counters, e2e latency histogram, per-second deliveries', async () => {
    const stats = await client.control<{
      workers: number;
      requests: Record<string, Record<string, number>>;
      receipts: number;
      latency: { count: number; p50: number; histogram: string };
      deliveredPerSecond: { second: number; count: number }[];
    }>('GET', '/stats');
    assert.equal(stats.workers, 2);
    assert.ok((stats.requests.fcm?.['200'] ?? 0) >= 4);
    assert.ok((stats.requests.webpush?.['201'] ?? 0) >= 3);
    assert.ok(stats.latency.count >= 3, 'pushes with bench_t / X-Bench-T');
    assert.ok(stats.latency.p50 > 0 && stats.latency.p50 < 10_000_000);
    assert.match(stats.latency.histogram, /^HISTF/);
    assert.equal(
      stats.deliveredPerSecond.reduce((n, s) => n + s.count, 0),
      stats.receipts,
    );
    const files = await client.control<{ files: string[]; count: number }>('GET', '/receipts');
    assert.equal(files.count, stats.receipts);
    await client.control('POST', '/stats/reset');
    const reset = await client.control<{ receipts: number }>('GET', '/stats');
    assert.equal(reset.receipts, 0);
  });
});

describe('push sink, 1 worker, small quotas', () => {
  let sink: RunningSink;
  let client: SinkClient;

  before(async () => {
    sink = await startSink(
      parseSinkConfig({ workers: 1, fcm: { quota: { perMinute: 6 }, perDevice: { perMinute: 3, perHour: 100 } } }),
    );
    client = new SinkClient(sink.endpoints);
  });
  after(async () => {
    client?.close();
    await sink?.stop();
  });

  test('per-device limit answers 429 QUOTA_EXCEEDED after 3 messages; the project quota 429s after 6 with Retry-After', async () => {
    const access = await client.accessToken();
    const { tokens } = await client.control<{ tokens: string[] }>('POST', '/fcm/tokens', { count: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await client.send(access, { token: tokens[0] })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const device = await client.send(access, { token: tokens[0] });
    assert.equal(
      device.json<{ error: { details: { errorCode?: string }[] } }>().error.details[0]?.errorCode,
      'QUOTA_EXCEEDED',
    );
    // The device 429s gave their quota tokens back: 3 used so far, 3 left (one is a 400, which counts).
    assert.equal((await client.send(access, { token: 'bad' })).status, 400);
    assert.equal((await client.send(access, { token: tokens[1] })).status, 200);
    assert.equal((await client.send(access, { token: tokens[1] })).status, 200);
    const over = await client.send(access, { token: tokens[1] });
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers['retry-after']) >= 1);
    const body = over.json<{ error: { status: string; details: { '@type': string; reason?: string }[] } }>();
    assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
    assert.equal(body.error.details[0]?.reason, 'RATE_LIMIT_EXCEEDED');
    const stats = await client.control<{ quota: { throttled: number; perMinute: number } }>('GET', '/stats');
    assert.equal(stats.quota.perMinute, 6);
    assert.ok(stats.quota.throttled >= 1);
  });
});
