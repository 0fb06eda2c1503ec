import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_TABLE_NAME, localCredentials } from '../functions/local/dynamodb';
import { JsonClient } from './http-client';
import { launchLocalSystem } from './local-system';
import { type Measurement, measure } from './measure';
import { Progress } from './progress';
import { compare, describeRun, ratioLabel, verdict, writeResults } from './report';
import { type BenchContext, comparisons, scenarios } from './scenarios';

/** Per scenario: with 1000 calls p99 rests on the 10 slowest, and the run stays near a minute on two busy cores. */
const COUNTS = { warmup: 50, requests: 1000 };
/** Enough connections for the most concurrent scenario, so no client waits for a socket. */
const MAX_CLIENTS = Math.max(...scenarios.map((scenario) => scenario.clients));

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** `npm run bench`: starts the local system, runs every scenario against it, writes bench/results.*. */
async function main(): Promise<void> {
  const progress = new Progress();
  // Taken before the server starts: the commit whose code it loads, even if others commit meanwhile.
  const run = describeRun(repoRoot);
  console.log('Starting the local system…');
  const system = launchLocalSystem(repoRoot);
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    progress.clear();
    console.log('Interrupted: stopping the local system');
    void system.stop().then(() => process.exit(130));
  });

  let api: JsonClient | undefined;
  let dynamodb: DynamoDBClient | undefined;
  try {
    const { url, dynamodbUrl } = await system.ready;
    console.log(`Local system at ${url}, DynamoDB at ${dynamodbUrl}`);
    api = new JsonClient(url, MAX_CLIENTS);
    // The SDK's notice about future Node versions is noise in the bench's output, as in the server's.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    dynamodb = new DynamoDBClient({
      endpoint: dynamodbUrl,
      region: 'us-east-1',
      credentials: localCredentials,
      // Keep-alive like the API's clients, so both sides of each ratio pay the same for connections.
      requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: MAX_CLIENTS }) },
    });
    const context: BenchContext = {
      api,
      dynamodb,
      tableName: LOCAL_TABLE_NAME,
      tokens: await tokensForSeededPeople(api),
    };

    const measurements: Measurement[] = [];
    for (const scenario of scenarios) {
      const operation = await scenario.setup(context);
      measurements.push(await measure(scenario, operation, COUNTS, progress));
    }
    const ratios = compare(measurements, comparisons);
    writeResults(benchDir, { ...run, scenarios: measurements, ratios });

    console.log('');
    console.table(measurements);
    for (const ratio of ratios) console.log(`${ratioLabel(ratio)}: ${ratio.value}x  ${verdict(ratio)}`);
    console.log('Wrote bench/results.md and bench/results.json');
  } catch (error) {
    // After a Ctrl-C the failures are only the server going away underneath us.
    if (!interrupted) throw error;
  } finally {
    api?.close();
    dynamodb?.destroy();
    await system.stop();
  }
}

/** A token for each active seeded person, so concurrent clients file as different people as in real use. */
async function tokensForSeededPeople(api: JsonClient): Promise<string[]> {
  const { status, body } = await api.get('/dev/identities');
  if (status !== 200) throw new Error(`GET /dev/identities answered ${status}`);
  const identities = (body as { identities: { id: string; kind: string; status: string }[] }).identities;
  const people = identities.filter((identity) => identity.kind === 'human' && identity.status === 'active');
  return Promise.all(
    people.slice(0, MAX_CLIENTS).map(async ({ id }) => {
      const response = await api.post('/dev/token', { identity: id });
      if (response.status !== 200) throw new Error(`POST /dev/token for ${id} answered ${response.status}`);
      return (response.body as { token: string }).token;
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
