import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LoadedStateMachine, loadDefinition } from './definition';

/**
 * Every definition an execution started with, content-addressed under `dir` (`<sha256>.asl.json`,
 * placeholders substituted), so that an execution resumed after the ASL file changed runs on to its
 * end with the definition it started with, as a Standard execution does in Step Functions.
 */
export class DefinitionVersions {
  /** One write per version, shared by the executions that start while it is under way. */
  private readonly kept = new Map<string, Promise<void>>();
  private readonly loaded = new Map<string, LoadedStateMachine>();
  private temporaryCounter = 0;

  constructor(private readonly dir: string) {}

  /** Stores `machine`'s definition unless it is stored already; resolves once it is on disk. */
  keep(machine: LoadedStateMachine): Promise<void> {
    const hash = machine.definitionHash;
    let kept = this.kept.get(hash);
    if (!kept) {
      kept = this.write(hash, machine.definition);
      this.kept.set(hash, kept);
      this.loaded.set(hash, machine);
      kept.catch(() => this.kept.delete(hash));
    }
    return kept;
  }

  private async write(hash: string, definition: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.fileOf(hash);
    const temporary = `${file}.${process.pid}.${this.temporaryCounter++}.tmp`;
    await writeFile(temporary, definition);
    await rename(temporary, file);
  }

  /** The stored version `hash` of the state machine `current` (for its name and ARN); undefined when it is not stored. */
  async load(hash: string, current: LoadedStateMachine): Promise<LoadedStateMachine | undefined> {
    if (hash === current.definitionHash) return current;
    const cached = this.loaded.get(hash);
    if (cached) return cached;
    let text: string;
    try {
      text = await readFile(this.fileOf(hash), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const machine = loadDefinition(current.name, text, current.arn, this.fileOf(hash));
    this.kept.set(hash, Promise.resolve());
    this.loaded.set(hash, machine);
    return machine;
  }

  private fileOf(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`Not a definition hash: ${hash}`);
    return join(this.dir, `${hash}.asl.json`);
  }
}
