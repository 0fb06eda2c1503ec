import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AnchoredHeads } from '../../app/ports';
import type { ChainHead } from '../../domain/audit/checkpoint';

/** Heads a statement reads at a time, and untaken() answers at a time. */
const BATCH = 1000;

/**
 * The checkpointed heads in a SQLite file of their own in a temporary folder, removed on close:
 * what `npm run audit:verify` keeps them in, so that its memory does not grow with the number of
 * chains (the first checkpoint names every chain; in a Map they took some 36 MB per 100,000).
 *
 * Why SQLite (node:sqlite, in Node since 22.13; npm scripts run the `node` devDependency's):
 * - it reads its file with pread into a page cache of fixed size (2 MB by default). LevelDB
 *   (classic-level, installed for dynalite) maps its table files into the process, so every page
 *   it reads stays in the resident set, which then grows with the chains again;
 * - a checkpoint's heads count only once its signature holds: they go to `staged`, then into
 *   `heads` in one statement, or are dropped;
 * - a sorted merge of the checkpoints (their heads are sorted by chain) would need the table read
 *   in chain order, and a Scan reads it in the order of its partitions' hashes.
 * Each chain's row keeps the rowid of its first insert, so untaken() answers in the order a Map
 * would: the order chains were first checkpointed.
 */
export class SqliteAnchoredHeads implements AnchoredHeads {
  private readonly statements: Record<'stage' | 'keep' | 'drop' | 'take' | 'after', StatementSync>;
  /** A process that ends before close() (an error, process.exit) still removes the file: at 100,000 chains, 50 MB. */
  private readonly removeOnExit = () => rmSync(this.dir, { recursive: true, force: true });

  private constructor(
    private readonly db: DatabaseSync,
    private readonly dir: string,
  ) {
    process.once('exit', this.removeOnExit);
    // No journal and no syncing: the file is scratch, gone with the process's run.
    db.exec(`
      PRAGMA journal_mode = OFF;
      PRAGMA synchronous = OFF;
      CREATE TABLE heads (chain TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
      CREATE TABLE staged (chain TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
    `);
    const upsert = 'ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash';
    this.statements = {
      stage: db.prepare(`INSERT INTO staged (chain, seq, hash) VALUES (?, ?, ?) ${upsert}`),
      // WHERE true: SQLite's grammar needs it between a SELECT and its ON CONFLICT.
      keep: db.prepare(
        `INSERT INTO heads (chain, seq, hash) SELECT chain, seq, hash FROM staged WHERE true ORDER BY rowid ${upsert}`,
      ),
      drop: db.prepare('DELETE FROM staged'),
      take: db.prepare('DELETE FROM heads WHERE chain = ? RETURNING seq, hash'),
      after: db.prepare(
        `SELECT rowid, chain, seq, hash FROM heads WHERE rowid > ? ORDER BY rowid LIMIT ${BATCH}`,
      ),
    };
  }

  static async open(): Promise<SqliteAnchoredHeads> {
    const { DatabaseSync } = await loadSqlite();
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-audit-verify-'));
    try {
      return new SqliteAnchoredHeads(new DatabaseSync(join(dir, 'heads.db')), dir);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async stage(heads: readonly ChainHead[]): Promise<void> {
    this.inTransaction(() => {
      for (const { chain, seq, hash } of heads) this.statements.stage.run(chain, seq, hash);
    });
  }

  async settle(keep: boolean): Promise<void> {
    this.inTransaction(() => {
      if (keep) this.statements.keep.run();
      this.statements.drop.run();
    });
  }

  async take(chains: readonly string[]): Promise<(ChainHead | undefined)[]> {
    return this.inTransaction(() =>
      chains.map((chain) => {
        const row = this.statements.take.get(chain) as unknown as { seq: number; hash: string } | undefined;
        return row ? { chain, seq: row.seq, hash: row.hash } : undefined;
      }),
    );
  }

  async *untaken(): AsyncIterable<ChainHead[]> {
    let after = 0;
    for (;;) {
      const rows = this.statements.after.all(after) as unknown as (ChainHead & { rowid: number })[];
      if (rows.length === 0) return;
      yield rows.map(({ chain, seq, hash }) => ({ chain, seq, hash }));
      after = (rows.at(-1) as { rowid: number }).rowid;
    }
  }

  async close(): Promise<void> {
    try {
      if (this.db.isOpen) this.db.close();
    } finally {
      await rm(this.dir, { recursive: true, force: true });
      process.off('exit', this.removeOnExit);
    }
  }

  /** Many statements in one transaction: without a journal, the point is fewer writes, not atomicity. */
  private inTransaction<T>(work: () => T): T {
    this.db.exec('BEGIN');
    try {
      return work();
    } finally {
      this.db.exec('COMMIT');
    }
  }
}

/** Whether node:sqlite is missing from this Node (before 22.13): the caller then keeps the heads in memory. */
export function sqliteMissing(error: unknown): boolean {
  return (error as { code?: string }).code === 'ERR_UNKNOWN_BUILTIN_MODULE';
}

/**
 * node:sqlite, without the warning Node 22 prints as it loads (an experimental feature): a line on
 * stderr that says nothing to whoever runs the verification.
 */
async function loadSqlite(): Promise<typeof import('node:sqlite')> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('SQLite is an experimental feature')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await import('node:sqlite');
  } finally {
    process.emitWarning = emitWarning;
  }
}
