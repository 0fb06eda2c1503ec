import { parseArgs } from 'node:util';
import { readDirectoryFiles } from '../functions/adapters/directory-files';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { DynamoDirectory } from '../functions/adapters/dynamodb/directory-store';

const usage = `Loads a directory and a catalog into a deployed Tollgate table.

  npm run load-directory -- --table <TableName output> [--directory <file>] [--catalog <file>]

The files have the shape of seed/directory.json and seed/catalog.json (the defaults). Both are
validated as a whole, references included, before anything is written. AWS credentials and region
come from the usual AWS settings (AWS_PROFILE, AWS_REGION, ...).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      directory: { type: 'string' },
      catalog: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || !values.table) {
    console.log(usage);
    process.exit(values.help ? 0 : 2);
  }
  const files = readDirectoryFiles({
    directory: values.directory ?? new URL('../seed/directory.json', import.meta.url).pathname,
    catalog: values.catalog ?? new URL('../seed/catalog.json', import.meta.url).pathname,
  });
  console.log(
    `Loading ${files.identities.length} identities, ${files.systems.length} systems and ${files.supportQueues.length} support queues into ${values.table}...`,
  );
  const directory = new DynamoDirectory(createDocumentClient(), values.table);
  await directory.put({ identities: files.identities });
  console.log(`  identities: ${files.identities.length} written`);
  await directory.put({ systems: files.systems, queues: files.supportQueues });
  console.log(`  systems and queues: ${files.systems.length + files.supportQueues.length} written`);
  console.log('Done.');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
