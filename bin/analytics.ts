import { parseArgs } from 'node:util';
import { reportText } from '../functions/app/report-text';
import type { AnalyticsReport } from '../functions/domain/analytics/report';
import { apiUrl, describeAnswer, Failure, request, runCli, tokenFor, UsageError } from './cli-api';

const usage = `Prints the analytics of a period: the key figures, the governance signals and the rule candidates,
as tables, or as the JSON GET /analytics answers.

  npm run analytics -- [--from 2026-11-01] [--to 2026-11-30] [--format table|json]
                       [--url http://127.0.0.1:3000] [--as aude.audit@example.com]

  --from    the first day (UTC); the seven days up to --to when left out
  --to      the last day, included; today (up to now) when left out
  --format  table (the default) or json
  --url     the Tollgate API; http://127.0.0.1:3000 (npm start) when left out
  --as      locally, the demo identity to sign in as (POST /dev/token): an admin, auditor or
            security person; aude.audit@example.com (the demo auditor) when left out

Against a deployed system, set TOLLGATE_TOKEN to a token of yours and --url to the stack's ApiUrl
output. Exit codes: 0 done, 1 the server refused or failed, 2 bad arguments.`;

function readOptions(argv: string[]) {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string' },
        url: { type: 'string' },
        as: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help' as const;
  const format = typeof values.format === 'string' ? values.format : 'table';
  if (format !== 'table' && format !== 'json')
    throw new UsageError(`--format ${format} is neither table nor json`);
  for (const flag of ['from', 'to'] as const) {
    const day = values[flag];
    if (typeof day === 'string' && !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      throw new UsageError(`--${flag} ${day} is not a date such as 2026-11-01`);
    }
  }
  return {
    from: typeof values.from === 'string' ? values.from : undefined,
    to: typeof values.to === 'string' ? values.to : undefined,
    format,
    url: apiUrl(typeof values.url === 'string' ? values.url : undefined),
    as: typeof values.as === 'string' ? values.as : 'aude.audit@example.com',
  };
}

async function main(argv: string[]): Promise<number> {
  const options = readOptions(argv);
  if (options === 'help') {
    console.log(usage);
    return 0;
  }
  const query = new URLSearchParams({
    ...(options.from ? { from: options.from } : {}),
    ...(options.to ? { to: options.to } : {}),
  });
  const answer = await request<AnalyticsReport>(options, 'GET', `/analytics?${query}`, {
    token: await tokenFor(options),
  });
  if (answer.status !== 200) throw new Failure(describeAnswer('GET /analytics', answer));
  console.log(options.format === 'json' ? JSON.stringify(answer.body, null, 2) : reportText(answer.body));
  return 0;
}

runCli(main, usage);
