import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import pg from 'pg';

type Release = (error?: unknown) => void;
type ConnectCallback = (error: unknown, client: PgliteClient | null, release: Release) => void;

/** Distinct statements kept prepared; past this many (queries built with varying text), the rest are parsed each time. */
const MAX_PREPARED_STATEMENTS = 500;

/**
 * The slice of a `pg` client TypeORM's postgres driver uses: a real `pg` client over PGlite's own node-postgres
 * connection, so values go in and results come back exactly as with PostgreSQL. Each distinct parameterized
 * statement is prepared once and then only executed: PGlite parses and plans on the gateway's own thread, and the
 * chat turn's write cost 397 µs of CPU parsed every time against 162 µs prepared.
 */
class PgliteClient extends EventEmitter {
  private readonly client: pg.Client;
  private readonly statementNames = new Map<string, string>();

  constructor(db: PGlite, pool: EventEmitter) {
    super();
    this.client = new pg.Client(createPgConfig(db));
    // As with pg.Pool: a connection error goes to whoever holds the client (TypeORM's query runner listens), else to
    // the pool, which TypeORM logs; unheard, it would crash the process.
    this.client.on('error', (error) => (this.listenerCount('error') > 0 ? this : pool).emit('error', error));
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  end(): Promise<void> {
    return this.client.end();
  }

  async query(sql: string, parameters?: unknown[]) {
    if (parameters?.length) return this.client.query({ name: this.statementName(sql), text: sql, values: parameters });
    // Parameterless strings may hold several statements (migrations); TypeORM wants the last result.
    const results: pg.QueryResult | pg.QueryResult[] = await this.client.query(sql);
    return Array.isArray(results) ? (results.at(-1) ?? { rows: [], fields: [], rowCount: 0 }) : results;
  }

  private statementName(sql: string): string | undefined {
    const known = this.statementNames.get(sql);
    if (known || this.statementNames.size >= MAX_PREPARED_STATEMENTS) return known;
    const name = `s${this.statementNames.size}`;
    this.statementNames.set(sql, name);
    return name;
  }
}

/** Holders served when the plans are first made again; each later time, when twice as many have been. */
export const FIRST_REPLAN_AFTER = 1_000;

/**
 * A `pg.Pool` look-alike over one in-process PGlite database. PGlite is a single connection, so clients are
 * handed out one at a time: a transaction owns the connection until it is released, which gives the same
 * isolation a real pool gives (queries from other requests wait instead of landing inside it).
 *
 * A plan PostgreSQL keeps (a prepared statement's, and those of the foreign-key checks an insert runs) is made
 * again when its tables are analyzed; PGlite has no autovacuum to analyze them, so the plans made while the tables
 * were nearly empty stayed as they grew. The two statements of a chat turn continuing a session took 0.6 and 0.5 ms
 * of the gateway's CPU, then 1.7 and 1.6 ms after 8,000 more `/v1` turns. `DISCARD PLANS` between two holders, at the
 * 1,000th, then the 2,000th, the 4,000th and so on (the tables have at most about doubled since), has them planned
 * again for the tables as they are: 0.4 and 0.5 ms after 40,000 more `/v1` turns. It costs 0.2 ms each time; `ANALYZE`
 * did the same but held the event loop 70-370 ms each time.
 */
export class PglitePool extends EventEmitter {
  private readonly client: PgliteClient;
  private tail: Promise<void>;
  private served = 0;
  private replanAt = FIRST_REPLAN_AFTER;

  constructor(private readonly db: PGlite) {
    super();
    this.client = new PgliteClient(db, this);
    // The first holder waits for the connection; if it cannot be made, every holder is told.
    this.tail = this.client.connect();
  }

  connect(callback: ConnectCallback): void {
    let release!: Release;
    // Each holder has a promise of its own: releasing it twice resolves it twice, which cannot free the next holder.
    const released = new Promise<void>((resolve) => (release = () => resolve()));
    const previous = ++this.served === this.replanAt ? this.replannedAfter(this.tail) : this.tail;
    this.tail = previous.then(() => released);
    previous.then(
      () => callback(null, this.client, release),
      (error: unknown) => callback(error, null, release),
    );
  }

  /** `DISCARD PLANS` once the holders before have released the connection; the next holder waits for it. */
  private replannedAfter(previous: Promise<void>): Promise<void> {
    this.replanAt *= 2;
    // If it fails, the old plans stay, and they still answer correctly: not the next holder's error.
    return previous.then(() =>
      this.client.query('DISCARD PLANS').then(
        () => undefined,
        () => undefined,
      ),
    );
  }

  end(callback: (error?: unknown) => void): void {
    this.tail
      .then(() => this.client.end())
      .then(() => this.db.close())
      .then(() => callback(), callback);
  }
}

/** Opens (creating on first start) the embedded database; `memory://` keeps it in memory. */
export async function openPglite(dataDir: string): Promise<PGlite> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  return PGlite.create(dataDir);
}

/** The `driver` option TypeORM's postgres driver accepts in place of the `pg` module. */
export function pgliteDriver(db: PGlite) {
  return {
    Pool: class extends PglitePool {
      constructor() {
        super(db);
      }
    },
  };
}
