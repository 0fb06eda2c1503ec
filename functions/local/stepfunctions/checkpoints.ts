import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEvent } from './history';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type TaskAnswer = { output: Json } | { error: string; cause: string };

/** A `.waitForTaskToken` task waiting for SendTaskSuccess/SendTaskFailure. */
export interface WaitCheckpoint {
  token: string;
  state: string;
  /** Absolute (epoch ms), fixed when the state was entered, so a restart never extends it; null: no deadline. */
  deadline: number | null;
  /** The Lambda that hands the token out has returned: a resumed wait does not call it again. */
  notified: boolean;
  /** Persisted before the sender is acknowledged, so an answer survives a crash before the task moves on. */
  answer?: TaskAnswer;
  timedOut?: boolean;
}

/** Why a token no longer has a waiting task. */
export type ClosedToken = 'answered' | 'timedOut' | 'abandoned';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  /**
   * SHA-256 of the definition the execution started with (see DefinitionVersions), which it keeps
   * until it ends. Absent in checkpoints written before definitions were kept: those resume on the
   * current definition.
   */
  definitionHash?: string;
  name: string;
  /** The execution input exactly as given to StartExecution. */
  input: string;
  status: ExecutionStatus;
  startDate: number;
  /** Execution-level deadline from the definition's TimeoutSeconds (epoch ms). */
  deadline: number | null;
  /** The last top-level state entered and its input: where a restart resumes. */
  current: { state: string; input: Json };
  waits: WaitCheckpoint[];
  closedTokens: Record<string, ClosedToken>;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** What GetExecutionHistory answers, oldest first, at most MAX_HISTORY_EVENTS (absent in older checkpoints). */
  history?: HistoryEvent[];
  /** The id of the last event, which keeps counting when the oldest events are dropped. */
  lastEventId?: number;
}

/** The wait that holds `token`, or why the token no longer has one; undefined: not a token of this execution. */
export function findToken(
  record: ExecutionRecord,
  token: string,
): { wait: WaitCheckpoint } | { closed: ClosedToken } | undefined {
  const wait = record.waits.find((candidate) => candidate.token === token);
  if (wait) return { wait };
  const closed = record.closedTokens[token];
  return closed ? { closed } : undefined;
}

/** What ListExecutions answers of a finished execution, one line of the archive's index each. */
export type ArchivedSummary = Pick<
  ExecutionRecord,
  'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate' | 'stopDate'
>;

/** The name of an execution's checkpoint files: the SHA-256 of its ARN, in hex. */
export const executionKey = (executionArn: string) => createHash('sha256').update(executionArn).digest('hex');

/**
 * One JSON file per running execution under `<dir>/executions`, replaced atomically (write to a
 * temporary file, rename). An execution that ends moves to `<dir>/archive`, with a line in
 * `<dir>/archive/index.jsonl` for listings: start-up reads only the running ones, and finished
 * executions are read from disk when asked for, never kept in memory.
 * No fsync: what a killed process wrote is in the page cache and survives it; surviving a power
 * cut is AWS's job in production, not the local runtime's, and an fsync per step was the largest
 * cost of a workflow step here.
 */
export class CheckpointStore {
  private readonly writes = new Map<string, Promise<void>>();
  private tmpCounter = 0;
  private readonly runningDir: string;
  private readonly archiveDir: string;
  private readonly indexFile: string;

  private constructor(dir: string) {
    this.runningDir = join(dir, 'executions');
    this.archiveDir = join(dir, 'archive');
    this.indexFile = join(this.archiveDir, 'index.jsonl');
  }

  /** Opens the store and answers the running executions; any other checkpoint found there is archived now. */
  static async open(dir: string): Promise<{ store: CheckpointStore; running: ExecutionRecord[] }> {
    const store = new CheckpointStore(dir);
    await mkdir(store.runningDir, { recursive: true });
    await mkdir(store.archiveDir, { recursive: true });
    const running: ExecutionRecord[] = [];
    for (const file of await readdir(store.runningDir)) {
      if (file.endsWith('.tmp')) {
        // A write that a kill interrupted before its rename: the previous version is still in place.
        await rm(join(store.runningDir, file), { force: true });
      } else if (file.endsWith('.json')) {
        const record = JSON.parse(await readFile(join(store.runningDir, file), 'utf8')) as ExecutionRecord;
        // Its last checkpoint says RUNNING, but it ended (stopped, say) and was archived before a kill
        // kept its checkpoint from being removed: it stays as it ended, and is never resumed.
        const ended =
          record.status === 'RUNNING' ? await store.archived(executionKey(record.executionArn)) : record;
        // Finished but not yet archived when the process stopped (or written before there was an archive).
        if (ended) await store.archive(ended);
        else running.push(record);
      }
    }
    return { store, running };
  }

  /**
   * Writes the record as it is when the write starts. Writes of one record are queued, so once the returned
   * promise resolves the file holds the record as of this call or later.
   */
  save(record: ExecutionRecord): Promise<void> {
    return this.queue(record.executionArn, () => this.writeAtomically(this.runningFile(record), record));
  }

  /**
   * Moves a finished execution to the archive, after the writes queued before it: its archive file
   * and index line land before its running checkpoint goes, so a kill in between archives it again
   * at start-up, as the archive file says it ended (listings drop the repeated index line).
   */
  archive(record: ExecutionRecord): Promise<void> {
    return this.queue(record.executionArn, async () => {
      await this.writeAtomically(join(this.archiveDir, `${executionKey(record.executionArn)}.json`), record);
      const { executionArn, stateMachineArn, name, status, startDate, stopDate } = record;
      const summary: ArchivedSummary = { executionArn, stateMachineArn, name, status, startDate, stopDate };
      await appendFile(this.indexFile, `${JSON.stringify(summary)}\n`);
      await rm(this.runningFile(record), { force: true });
    });
  }

  /** The finished execution whose key is `key` (see executionKey), read from the archive; undefined if none. */
  async archived(key: string): Promise<ExecutionRecord | undefined> {
    if (!/^[0-9a-f]{64}$/.test(key)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.archiveDir, `${key}.json`), 'utf8')) as ExecutionRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Every finished execution, as the archive's index lists them, each once. */
  async archivedSummaries(): Promise<ArchivedSummary[]> {
    let text: string;
    try {
      text = await readFile(this.indexFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const summaries = new Map<string, ArchivedSummary>();
    for (const line of text.split('\n')) {
      // The last line may be one a kill cut short: its execution is archived again at start-up.
      if (!line.endsWith('}')) continue;
      const summary = JSON.parse(line) as ArchivedSummary;
      summaries.set(summary.executionArn, summary);
    }
    return [...summaries.values()];
  }

  /** Resolves once every queued write has landed (or failed). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
  }

  private queue(executionArn: string, write: () => Promise<void>): Promise<void> {
    const previous = this.writes.get(executionArn) ?? Promise.resolve();
    const next = previous.then(write, write);
    this.writes.set(executionArn, next);
    const forget = () => {
      if (this.writes.get(executionArn) === next) this.writes.delete(executionArn);
    };
    next.then(forget, forget);
    return next;
  }

  private runningFile(record: ExecutionRecord): string {
    return join(this.runningDir, `${executionKey(record.executionArn)}.json`);
  }

  private async writeAtomically(file: string, record: ExecutionRecord): Promise<void> {
    const tmp = `${file}.${process.pid}.${this.tmpCounter++}.tmp`;
    await writeFile(tmp, JSON.stringify(record));
    await rename(tmp, file);
  }
}
