import { readDirectoryFiles } from '../adapters/directory-files';
import type { DynamoDirectory } from '../adapters/dynamodb/directory-store';

/** Seeds an empty store only: a directory changed since (by HR events, later) is never overwritten. */
export async function seedIfEmpty(directory: DynamoDirectory): Promise<boolean> {
  if (!(await directory.isEmpty())) return false;
  const seed = readDirectoryFiles();
  await directory.put({ identities: seed.identities, systems: seed.systems, queues: seed.supportQueues });
  return true;
}
