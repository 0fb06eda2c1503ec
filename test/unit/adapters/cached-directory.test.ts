import { describe, expect, it, vi } from 'vitest';
import { cachedDirectory } from '../../../functions/adapters/cached-directory';
import type { Directory } from '../../../functions/app/ports';

function countingDirectory() {
  const reads = vi.fn(async (id: string) => ({ id }));
  const directory = { identity: reads } as unknown as Directory;
  return { directory, reads };
}

describe('the directory cache', () => {
  it('reads an identity once within the time it is kept, and again after', async () => {
    // Prepare
    let now = 0;
    const { directory, reads } = countingDirectory();
    const cached = cachedDirectory(directory, 5_000, () => now);
    // Act
    await cached.identity('a@x.com');
    await cached.identity('a@x.com');
    now = 5_001;
    await cached.identity('a@x.com');
    // Assess
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('does not keep a failed read', async () => {
    // Prepare
    const reads = vi.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue({ id: 'a@x.com' });
    const cached = cachedDirectory({ identity: reads } as unknown as Directory, 5_000, () => 0);
    // Act
    await expect(cached.identity('a@x.com')).rejects.toThrow('throttled');
    const second = await cached.identity('a@x.com');
    // Assess
    expect(second).toEqual({ id: 'a@x.com' });
  });

  it('reads the table every time when the time is zero', async () => {
    // Prepare
    const { directory, reads } = countingDirectory();
    // Act
    const cached = cachedDirectory(directory, 0);
    await cached.identity('a@x.com');
    await cached.identity('a@x.com');
    // Assess
    expect(reads).toHaveBeenCalledTimes(2);
  });
});
