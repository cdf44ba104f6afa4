import { PGlite } from '@electric-sql/pglite';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';

type Release = (error?: unknown) => void;
type ConnectCallback = (error: unknown, client: PgliteClient | null, release: Release) => void;

/** The slice of a `pg` client TypeORM's postgres driver uses. */
class PgliteClient extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  async query(sql: string, parameters?: unknown[]) {
    if (parameters?.length) return this.db.query(sql, parameters);
    // Parameterless strings may hold several statements (migrations); TypeORM wants the last result.
    const results = await this.db.exec(sql);
    return results.at(-1) ?? { rows: [], fields: [], rowCount: 0 };
  }
}

/**
 * A `pg.Pool` look-alike over one in-process PGlite database. PGlite is a single connection, so clients are
 * handed out one at a time: a transaction owns the connection until it is released, which gives the same
 * isolation a real pool gives (queries from other requests wait instead of landing inside it).
 */
export class PglitePool extends EventEmitter {
  private readonly client: PgliteClient;
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly db: PGlite) {
    super();
    this.client = new PgliteClient(db);
  }

  connect(callback: ConnectCallback): void {
    let release!: Release;
    const released = new Promise<void>((resolve) => {
      let done = false;
      release = () => {
        if (done) return;
        done = true;
        resolve();
      };
    });
    const previous = this.tail;
    this.tail = previous.then(() => released);
    previous.then(
      () => callback(null, this.client, release),
      (error: unknown) => callback(error, null, release),
    );
  }

  end(callback: (error?: unknown) => void): void {
    this.tail.then(() => this.db.close()).then(() => callback(), callback);
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
