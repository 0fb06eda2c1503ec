import { startLocalRuntime } from '../functions/local/runtime';
import { readLocalSettings } from '../functions/local/settings';

/** `npm start`: the whole of Tollgate on this machine, with no AWS account. */
async function main(): Promise<void> {
  const settings = readLocalSettings();
  const runtime = await startLocalRuntime(settings, (line) => console.error(line));
  const stop = async () => {
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(
    [
      '',
      `Tollgate is running at ${runtime.url}`,
      `  console:     open ${runtime.url}/ and sign in as a demo identity (local OpenID provider at ${runtime.endpoints.openid})`,
      `  data folder: ${settings.dataDir}${runtime.seeded ? ' (seeded with the demo directory and catalog)' : ''}`,
      ...(runtime.demoHistory
        ? [`  demo history: ${runtime.demoHistory.tickets} tickets over three months (npm run analytics)`]
        : []),
      `  emails:      ${runtime.outboxDir} (also GET ${runtime.url}/dev/outbox)`,
      `  DynamoDB:    ${runtime.endpoints.dynamodb}`,
      `  Step Functions: ${runtime.endpoints.stepfunctions}`,
      `  SES:         ${runtime.endpoints.ses}`,
      `  Secrets Manager: ${runtime.endpoints.secretsmanager} (webhook secrets: ${runtime.webhookSecretsFile})`,
      '',
      'Sign in as a demo identity (see GET /dev/identities) and file a request:',
      `  TOKEN=$(curl -s -X POST ${runtime.url}/dev/token -H 'content-type: application/json' \\`,
      `    -d '{"identity":"alex.dev@example.com"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
      `  curl -s ${runtime.url}/catalog -H "authorization: Bearer $TOKEN"`,
      '',
      `READY ${runtime.url}`,
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
