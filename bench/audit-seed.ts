import { readFileSync, writeFileSync } from 'node:fs';
import { startLocalDynamo } from '../functions/local/dynamodb';
import { seedAuditHistory } from './audit-history';
import { Progress } from './progress';
import type { ScriptedHistory } from './recorded-history';

/**
 * `node --import tsx bench/audit-seed.ts <history.json> <data folder> <tickets> <result.json>`: seeds the store of a
 * data folder before any local system starts on it (bench/audit.ts runs it). A process of its own: dynalite, once
 * closed, may still fail a late operation of its own, which would stop whichever process hosted it.
 */
const [historyFile, dataDir, tickets, resultFile] = process.argv.slice(2);
if (!historyFile || !dataDir || !tickets || !resultFile) {
  console.error('usage: audit-seed.ts <history.json> <data folder> <tickets> <result.json>');
  process.exit(2);
}
const history = JSON.parse(readFileSync(historyFile, 'utf8')) as ScriptedHistory;
const store = await startLocalDynamo({ dataDir, store: 'disk', port: 0 });
try {
  const seeded = await seedAuditHistory(store.url, history, Number(tickets), new Progress(), 'audit');
  writeFileSync(resultFile, JSON.stringify(seeded));
} finally {
  await store.close();
}
process.exit(0);
