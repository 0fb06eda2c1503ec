import { parseArgs } from 'node:util';
import { InvalidPolicySetError } from '../functions/adapters/cedar/engine';
import { compilePolicyFolder } from '../functions/adapters/cedar/policy-files';
import type { SimulationView } from '../functions/app/simulations';
import { describeProblem, type Policies } from '../functions/domain/policy/policy-set';
import { apiUrl, describeAnswer, Failure, request, runCli, tokenFor, UsageError } from './cli-api';
import { ProgressLine, simulationReport } from './simulation-report';

const usage = `Replays the recorded policy inputs of past tickets against a candidate policy set, and prints
which outcomes would change.

  npm run policy:simulate -- --policies <folder> [--since 90d] [--until <date-time>]
                             [--url http://127.0.0.1:3000] [--as ivan.it@example.com]

  --policies  a folder of .cedar files and schema.cedarschema, as policies/ is
  --since     how far back: a span (90d, 12h, 2w) or an ISO 8601 date-time; 90d when left out
  --until     the end of the period (ISO 8601 date-time); now when left out
  --url       the Tollgate API; http://127.0.0.1:3000 (npm start) when left out
  --as        locally, the demo identity to sign in as (POST /dev/token): an admin, auditor or
              security person; ivan.it@example.com (the demo admin) when left out

Against a deployed system, set TOLLGATE_TOKEN to a token of yours (a Cognito ID token) and --url
to the stack's ApiUrl output. Exit codes: 0 done, 1 the folder, the server or the simulation
failed, 2 bad arguments.`;

const POLL_MS = 500;
const SPANS: Record<string, number> = { h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 };

interface Options {
  policies: string;
  from: string;
  to: string | undefined;
  url: string;
  as: string;
}

function readOptions(argv: string[], now: Date): Options | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        policies: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        url: { type: 'string' },
        as: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  if (typeof values.policies !== 'string' || values.policies === '') {
    throw new UsageError('--policies is required: the folder of the candidate policy set');
  }
  const to = typeof values.until === 'string' ? dateTime('--until', values.until) : undefined;
  const since = typeof values.since === 'string' ? values.since : '90d';
  return {
    policies: values.policies,
    from: startOf(since, to ? new Date(to) : now),
    to,
    url: apiUrl(typeof values.url === 'string' ? values.url : undefined),
    as: typeof values.as === 'string' ? values.as : 'ivan.it@example.com',
  };
}

function dateTime(flag: string, text: string): string {
  const parsed = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(parsed.getTime())) {
    throw new UsageError(`${flag} ${text} is not an ISO 8601 date-time such as 2026-01-31T00:00:00Z`);
  }
  return parsed.toISOString();
}

function startOf(since: string, end: Date): string {
  const span = /^(\d+)([hdw])$/.exec(since);
  if (!span) {
    if (/^\d{4}-\d{2}-\d{2}T/.test(since)) return dateTime('--since', since);
    throw new UsageError(
      `--since ${since} is neither a span such as 90d, 12h or 2w nor an ISO 8601 date-time`,
    );
  }
  const ms = Number(span[1]) * (SPANS[span[2] as string] as number);
  if (ms === 0) throw new UsageError('--since must be longer than nothing');
  return new Date(end.getTime() - ms).toISOString();
}

function readCandidate(folder: string): Policies {
  try {
    return compilePolicyFolder(folder).folder.policies;
  } catch (error) {
    if (error instanceof InvalidPolicySetError) {
      throw new Failure(
        [`The policies in ${folder} are not valid:`, ...error.problems.map(describeProblem)].join('\n'),
      );
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new Failure(`Cannot read ${folder}: ${(error as Error).message}`);
    }
    throw error;
  }
}

type Simulation = SimulationView;

async function main(argv: string[]): Promise<number> {
  const options = readOptions(argv, new Date());
  if (options === 'help') {
    console.log(usage);
    return 0;
  }
  const policies = readCandidate(options.policies);
  const token = await tokenFor(options);
  const started = await request<{ id: string }>(options, 'POST', '/policies/simulations', {
    token,
    body: { policies, from: options.from, ...(options.to ? { to: options.to } : {}) },
  });
  if (started.status !== 202) throw new Failure(describeAnswer('POST /policies/simulations', started));

  const progress = new ProgressLine();
  for (;;) {
    const answer = await request<Simulation>(options, 'GET', `/policies/simulations/${started.body.id}`, {
      token,
    });
    if (answer.status !== 200) throw new Failure(describeAnswer('GET /policies/simulations', answer));
    const simulation = answer.body;
    progress.update(simulation.status, simulation.progress.done, simulation.progress.total);
    if (simulation.status === 'failed') {
      progress.end();
      throw new Failure(
        `Simulation ${simulation.id} failed: ${simulation.error?.name ?? 'unknown'}: ${simulation.error?.message ?? ''}`,
      );
    }
    if (simulation.status === 'done' && simulation.result) {
      progress.end();
      console.log(simulationReport(simulation, simulation.result));
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

runCli(main, usage);
