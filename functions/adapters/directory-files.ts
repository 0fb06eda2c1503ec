import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { identitySchema, systemSchema } from '../domain/directory';

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

export type DirectoryFiles = z.output<typeof seedSchema>;

/** The demo directory and catalog that `npm start` seeds. */
export const demoFiles = {
  directory: new URL('../../seed/directory.json', import.meta.url).pathname,
  catalog: new URL('../../seed/catalog.json', import.meta.url).pathname,
};

/**
 * A directory file (`{"identities": [...]}`) and a catalog file (`{"systems": [...],
 * "supportQueues": [...]}`), validated as a whole, references included, before anything is written.
 */
export function readDirectoryFiles(
  files: { directory: string; catalog: string } = demoFiles,
): DirectoryFiles {
  const raw = {
    ...JSON.parse(readFileSync(files.directory, 'utf8')),
    ...JSON.parse(readFileSync(files.catalog, 'utf8')),
  };
  const result = seedSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('\n  ');
    throw new Error(`${files.directory} and ${files.catalog} are invalid:\n  ${problems}`);
  }
  return result.data;
}
