import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { withStack } from '../stack/testing.ts';
import { generateDataset } from './generate-dataset.ts';
import { loadDataset } from './load-dataset.ts';

describe('loadDataset (real PostgreSQL)', () => {
  it('bulk-loads GrandChat’s dataset in seconds, skips an identical reload, replaces a different one', async () => {
    await withStack({ services: ['postgres'] }, async (stack) => {
      const url = stack.endpoints.postgres!.url;
      const generateStarted = performance.now();
      const dataset = generateDataset({ seed: 3 });
      const generateMs = performance.now() - generateStarted;

      const first = await loadDataset(url, dataset);
      assert.equal(first.skipped, false);
      assert.deepEqual(first.rows, { users: 100_000, rooms: 4, memberships: 111_100 });
      // Measured ~1.5 s on a shared 2-core box; the bound leaves room for a busy CI machine.
      assert.ok(first.timings.total < 20_000, `load took ${first.timings.total} ms`);

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const counts = await client.query(
          `SELECT (SELECT count(*) FROM chat_user)::int AS users, (SELECT count(*) FROM chat_roommember)::int AS members,
                  (SELECT count(*) FROM chat_roommember WHERE user_id <= 100)::int AS first100`,
        );
        assert.deepEqual(counts.rows[0], { users: 100_000, members: 111_100, first100: 400 });
        const user = await client.query('SELECT username FROM chat_user WHERE id = 42');
        assert.equal(user.rows[0].username, dataset.users[41]!.username);

        const again = await loadDataset(url, generateDataset({ seed: 3 }));
        assert.equal(again.skipped, true, 'same seed → same fingerprint → nothing written');

        const other = generateDataset({ seed: 4, users: 500, rooms: [{ name: 'Only', members: 200 }] });
        const replaced = await loadDataset(url, other);
        assert.equal(replaced.skipped, false);
        const after = await client.query(
          'SELECT (SELECT count(*) FROM chat_user)::int AS users, (SELECT count(*) FROM chat_roommember)::int AS members',
        );
        assert.deepEqual(after.rows[0], { users: 500, members: 200 });
      } finally {
        await client.end();
      }
      console.log(`# generate ${Math.round(generateMs)} ms; load ${JSON.stringify(first.timings)} ms`);
    });
  });
});
