import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { DynamoDirectory } from '../adapters/dynamodb/directory-store';
import { identitySchema, systemSchema } from '../domain/directory';

const seedUrl = (name: string) => new URL(`../../seed/${name}`, import.meta.url);

const queueSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  categories: z.array(z.string()).min(1),
  members: z.array(z.string()).min(1),
});

const seedSchema = z
  .object({
    identities: z.array(identitySchema),
    systems: z.array(systemSchema),
    supportQueues: z.array(queueSchema),
  })
  .superRefine((seed, context) => {
    const known = new Set(seed.identities.map((identity) => identity.id));
    const check = (id: string | null, path: (string | number)[]) => {
      if (id && !known.has(id))
        context.addIssue({ code: 'custom', path, message: `names unknown identity ${id}` });
    };
    seed.identities.forEach((identity, index) => {
      check(identity.managerId, ['identities', index, 'managerId']);
      check(identity.ownerId, ['identities', index, 'ownerId']);
      if (identity.kind === 'service' && !identity.ownerId) {
        context.addIssue({
          code: 'custom',
          path: ['identities', index, 'ownerId'],
          message: 'a service account needs an owner',
        });
      }
    });
    seed.systems.forEach((system, index) => {
      check(system.ownerId, ['systems', index, 'ownerId']);
      if (system.fulfilment.mode === 'manual') {
        for (const [at, fulfiller] of system.fulfilment.fulfillers.entries())
          check(fulfiller, ['systems', index, 'fulfilment', at]);
      }
    });
  });

export type Seed = z.output<typeof seedSchema>;

/** The demo directory and catalog kept in `seed/`, validated as a whole before anything is written. */
export function readSeed(): Seed {
  const raw = {
    ...JSON.parse(readFileSync(seedUrl('directory.json'), 'utf8')),
    ...JSON.parse(readFileSync(seedUrl('catalog.json'), 'utf8')),
  };
  const result = seedSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('\n  ');
    throw new Error(`The seed files in seed/ are invalid:\n  ${problems}`);
  }
  return result.data;
}

/** Seeds an empty store only: a directory changed since (by HR events, later) is never overwritten. */
export async function seedIfEmpty(directory: DynamoDirectory): Promise<boolean> {
  if ((await directory.allIdentities()).length > 0) return false;
  const seed = readSeed();
  await directory.put({ identities: seed.identities, systems: seed.systems, queues: seed.supportQueues });
  return true;
}
