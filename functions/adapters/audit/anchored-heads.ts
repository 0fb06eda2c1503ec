import type { AnchoredHeads } from '../../app/ports';
import type { ChainHead } from '../../domain/audit/checkpoint';

/**
 * The checkpointed heads in a Map: for the scheduled verification, a Lambda function whose memory is
 * sized for it, and for Node versions without node:sqlite. `npm run audit:verify` keeps them on disk
 * (sqlite-anchored-heads.ts).
 */
export class MemoryAnchoredHeads implements AnchoredHeads {
  private readonly heads = new Map<string, ChainHead>();
  private staged: ChainHead[] = [];

  async stage(heads: readonly ChainHead[]): Promise<void> {
    for (const head of heads) this.staged.push(head);
  }

  async settle(keep: boolean): Promise<void> {
    if (keep) for (const head of this.staged) this.heads.set(head.chain, head);
    this.staged = [];
  }

  async take(chains: readonly string[]): Promise<(ChainHead | undefined)[]> {
    return chains.map((chain) => {
      const head = this.heads.get(chain);
      this.heads.delete(chain);
      return head;
    });
  }

  async *untaken(): AsyncIterable<ChainHead[]> {
    yield [...this.heads.values()];
  }

  async close(): Promise<void> {
    this.heads.clear();
    this.staged = [];
  }
}
