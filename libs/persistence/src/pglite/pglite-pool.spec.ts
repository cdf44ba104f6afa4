import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PGlite } from '@electric-sql/pglite';
import { copyPgliteTemplate, type TestDatabase } from '../../../../test/helpers/test-database.js';
import { FIRST_REPLAN_AFTER, openPglite, PglitePool } from './pglite-pool.js';

type Client = { query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount?: number; command?: string }> };

const acquireFrom = (pool: PglitePool) =>
  new Promise<{ client: Client; release: () => void }>((resolve, reject) =>
    pool.connect((error, client, release) => (error ? reject(error) : resolve({ client: client as unknown as Client, release }))),
  );

// One database for the file, a copy of the run's migrated one: a fresh PGlite runs initdb, seconds of CPU. The last
// suite closes it.
let database: TestDatabase;
let db: PGlite;
beforeAll(async () => {
  database = copyPgliteTemplate();
  db = await openPglite(database.env.PGLITE_DATA_DIR!);
});
afterAll(async () => {
  if (db && !db.closed) await db.close();
  await database?.drop();
});

describe('PglitePool', () => {
  let pool: PglitePool;
  const acquire = () => acquireFrom(pool);

  beforeAll(async () => {
    pool = new PglitePool(db);
    await db.exec('CREATE TABLE t (id int primary key, v text)');
  });

  it('reports the command and affected rows the way pg does', async () => {
    const { client, release } = await acquire();
    await client.query('INSERT INTO t VALUES ($1, $2), ($3, $4)', [1, 'a', 2, 'b']);
    const update = await client.query('UPDATE t SET v = $1 WHERE id > $2', ['z', 0]);
    expect(update.command).toBe('UPDATE');
    expect(update.rowCount).toBe(2);
    release();
  });

  it('hands the connection to one holder at a time, so a transaction is not interleaved', async () => {
    const first = await acquire();
    await first.client.query('BEGIN');
    await first.client.query('UPDATE t SET v = $1 WHERE id = $2', ['in-tx', 1]);
    let secondGotIt = false;
    const second = acquire().then((holder) => {
      secondGotIt = true;
      return holder;
    });
    await new Promise((done) => setTimeout(done, 50));
    expect(secondGotIt).toBe(false);
    await first.client.query('ROLLBACK');
    first.release();
    const holder = await second;
    const { rows } = await holder.client.query('SELECT v FROM t WHERE id = $1', [1]);
    expect(rows[0]!.v).toBe('z');
    holder.release();
  });

  it('prepares each parameterized statement once and then only executes it', async () => {
    const { client, release } = await acquire();
    const sql = 'SELECT v FROM t WHERE id = $1';
    for (const id of [1, 2, 1]) await client.query(sql, [id]);
    const { rows } = await client.query('SELECT statement FROM pg_prepared_statements WHERE statement = $1', [sql]);
    expect(rows).toHaveLength(1);
    release();
  });

  // Before the test that prepares 500 statements: past them, this one's statement would not be prepared.
  it('makes the plans it keeps again as the tables grow (PGlite has no autovacuum to analyze them)', async () => {
    await db.exec('CREATE TABLE grows (id int PRIMARY KEY, k int NOT NULL); CREATE INDEX grows_k ON grows (k); INSERT INTO grows VALUES (1, 1)');
    const sql = 'SELECT id FROM grows WHERE k = $1';
    const { client, release } = await acquire();
    // Past five runs PostgreSQL keeps the statement's generic plan, made for a table of one row; EXPLAIN shows it by `$1`.
    for (let run = 0; run < 6; run++) await client.query(sql, [1]);
    const [{ name }] = (await client.query('SELECT name FROM pg_prepared_statements WHERE statement = $1', [sql])).rows as [{ name: string }];
    const plan = async (holder: Client) => (await holder.query(`EXPLAIN EXECUTE ${name}(1)`)).rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(await plan(client)).toContain('$1');
    await client.query('INSERT INTO grows SELECT n, n FROM generate_series(2, 20000) n');
    release();
    // Within twice the first count of holders from any point, the plans are dropped once: the next run plans again.
    let planned: string | undefined;
    for (let served = 0; served < 2 * FIRST_REPLAN_AFTER && !planned; served++) {
      const holder = await acquire();
      const shown = await plan(holder.client);
      if (!shown.includes('$1')) planned = shown;
      holder.release();
    }
    expect(planned).toContain('k = 1');
  });

  it('stops preparing past 500 distinct statements, and still runs the rest', async () => {
    const { client, release } = await acquire();
    for (let n = 0; n < 510; n++) {
      const { rows } = await client.query(`SELECT $1::int + ${n} AS sum`, [1]);
      expect(rows[0]!.sum).toBe(n + 1);
    }
    const { rows } = await client.query('SELECT count(*) AS prepared FROM pg_prepared_statements');
    expect(Number(rows[0]!.prepared)).toBe(500);
    release();
  });

  it('returns values the way pg does with PostgreSQL', async () => {
    const { client, release } = await acquire();
    const { rows } = await client.query('SELECT count(*) AS n, now() AS at, $1::uuid AS id FROM t', ['6f1c2b9e-8a4d-4c3b-9e2f-1a2b3c4d5e6f']);
    expect(rows[0]).toEqual({ n: '2', at: expect.any(Date), id: '6f1c2b9e-8a4d-4c3b-9e2f-1a2b3c4d5e6f' });
    release();
  });

  it('ignores a second release of the same holder: it cannot release the next holder', async () => {
    const first = await acquire();
    first.release();
    const second = await acquire();
    first.release();
    let thirdGotIt = false;
    const third = acquire().then((holder) => {
      thirdGotIt = true;
      return holder;
    });
    await new Promise((done) => setTimeout(done, 50));
    expect(thirdGotIt).toBe(false);
    second.release();
    (await third).release();
    expect(thirdGotIt).toBe(true);
  });
});

describe('PglitePool when PGlite goes away', () => {
  it('reports a connection error on the pool instead of crashing the process', async () => {
    const pool = new PglitePool(db);
    const errors: unknown[] = [];
    pool.on('error', (error) => errors.push(error));
    const { client, release } = await acquireFrom(pool);
    await client.query('SELECT 1');
    release();
    await db.close();
    await expect(client.query('SELECT $1::int', [1])).rejects.toThrow();
    expect(errors.length).toBeGreaterThan(0);
  });
});
