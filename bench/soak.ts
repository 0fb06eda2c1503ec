/**
 * `npm run soak`: the local system under a steady load of access requests for SOAK_MINUTES (10 by
 * default), with a SIGKILL and a restart on the same data folder every 30 to 90 s. Scripted people
 * approve and fulfil every ticket from the links in their emails. It samples the server's memory
 * (VmRSS) every 5 s and ends, after a last reconcile and a grace period, with the tickets lost (a 201
 * but not found) and stuck (not closed): both must be zero. Writes `bench/soak-results.md`.
 * Not part of CI: it takes minutes by design.
 *
 * Settings: SOAK_MINUTES, SOAK_RATE (tickets per second, 2), SOAK_RESTART_MIN_SECONDS (30),
 * SOAK_RESTART_MAX_SECONDS (90), SOAK_GRACE_SECONDS (120: the longest wait for the last tickets).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { chainProblems } from '../test/support/chain';
import {
  newDataDir,
  removeDataDir,
  startTollgate,
  type TollgateProcess,
} from '../test/support/tollgate-process';
import { type Ticket, TollgateClient } from '../test/support/workflow-client';
import { type EmailedAction, watchOutbox } from './outbox-watcher';

const ROOT = new URL('../', import.meta.url).pathname;
const setting = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const MINUTES = setting('SOAK_MINUTES', 10);
const RATE = setting('SOAK_RATE', 2);
const RESTART_MIN_S = setting('SOAK_RESTART_MIN_SECONDS', 30);
const RESTART_MAX_S = Math.max(RESTART_MIN_S, setting('SOAK_RESTART_MAX_SECONDS', 90));
const GRACE_S = setting('SOAK_GRACE_SECONDS', 120);
const SAMPLE_EVERY_MS = 5_000;
/** Shortens the reconcile schedule to every 15 s (deadlines stay hours long), so the system heals itself. */
const TIME_SCALE = '0.05';
const PARTICIPANT_CONCURRENCY = 4;

/** Who files what: each routes to one manager and is fulfilled by Ian (and Bo, for GitHub). */
const REQUESTS = [
  { requester: 'alex.dev@example.com', system: 'github', entitlement: 'github-write' },
  { requester: 'alex.dev@example.com', system: 'wiki', entitlement: 'wiki-edit' },
  { requester: 'felix.analyst@example.com', system: 'payroll', entitlement: 'payroll-read' },
];
const AUDITOR = 'aude.audit@example.com';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const elapsedS = (since: number) => (Date.now() - since) / 1000;

interface Filing {
  key: string;
  requester: string;
  body: Record<string, unknown>;
  /** Set once the API answered 201 (the first time, or a replay of the Idempotency-Key after a crash). */
  id?: string;
  attempts: number;
}

/** The system under test: one process at a time on one data folder, killed and restarted at random. */
class System {
  private current: { server: TollgateProcess; client: TollgateClient } | null = null;
  private up: Promise<void> = Promise.resolve();
  readonly restarts: { atS: number; downS: number }[] = [];
  readonly pids: number[] = [];

  constructor(
    readonly dataDir: string,
    private readonly began: number,
  ) {}

  async start(): Promise<void> {
    const server = await startTollgate({ dataDir: this.dataDir, env: { TOLLGATE_TIME_SCALE: TIME_SCALE } });
    this.current = { server, client: new TollgateClient(server.url) };
    if (server.child.pid) this.pids.push(server.child.pid);
  }

  /** A client of the running process; waits while it restarts. */
  async client(): Promise<TollgateClient> {
    for (;;) {
      await this.up;
      if (this.current) return this.current.client;
      await sleep(100);
    }
  }

  pid(): number | undefined {
    return this.current?.server.child.pid;
  }

  async crashAndRestart(): Promise<void> {
    const down = Date.now();
    const server = this.current?.server;
    this.current = null;
    let ready: () => void = () => undefined;
    this.up = new Promise((resolve) => {
      ready = resolve;
    });
    await server?.kill();
    await this.start();
    ready();
    this.restarts.push({ atS: elapsedS(this.began), downS: elapsedS(down) });
  }

  async stop(): Promise<void> {
    await this.current?.server.stop();
    this.current = null;
  }
}

function vmRssMiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line?.[1] ? Math.round((Number(line[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const began = Date.now();
  const system = new System(newDataDir(), began);
  const stopAll = async () => {
    await system.stop().catch(() => undefined);
    removeDataDir(system.dataDir);
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  await system.start();
  const outboxDir = join(system.dataDir, 'outbox');
  const loadEnds = began + MINUTES * 60_000;
  let graceEnds = Number.POSITIVE_INFINITY;
  const filings: Filing[] = [];
  const anomalies: string[] = [];
  const samples: { atS: number; rssMiB: number }[] = [];
  const decided = new Set<string>();
  const counters = { networkErrors: 0, linkAnswers: new Map<number, number>() };
  log(`soak: ${MINUTES} min at ${RATE} tickets/s, a SIGKILL every ${RESTART_MIN_S}-${RESTART_MAX_S} s`);

  // Memory: the server process's resident set, every 5 s.
  const sampler = setInterval(() => {
    const rss = vmRssMiB(system.pid());
    if (rss !== null) samples.push({ atS: Math.round(elapsedS(began)), rssMiB: rss });
  }, SAMPLE_EVERY_MS);

  // Requesters: a steady rate; a filing without an answer is retried with its Idempotency-Key.
  const fileOne = async (filing: Filing) => {
    while (!filing.id && Date.now() < graceEnds) {
      filing.attempts++;
      try {
        const client = await system.client();
        const answer = await client.call<{ id?: string }>(
          filing.requester,
          'POST',
          '/requests',
          filing.body,
          {
            'idempotency-key': filing.key,
          },
        );
        if (answer.status === 201 && answer.body.id) filing.id = answer.body.id;
        else if (answer.status < 500) {
          anomalies.push(`filing ${filing.key} answered ${answer.status}`);
          return;
        } else await sleep(500);
      } catch {
        counters.networkErrors++;
        await sleep(500);
      }
    }
  };
  const filingsInFlight: Promise<void>[] = [];
  const filer = setInterval(() => {
    if (Date.now() >= loadEnds) return;
    const request = REQUESTS[filings.length % REQUESTS.length] ?? REQUESTS[0];
    if (!request) return;
    const filing: Filing = {
      key: `soak-${filings.length}`,
      requester: request.requester,
      body: {
        type: 'access',
        system: request.system,
        entitlement: request.entitlement,
        justification: `Soak ticket ${filings.length}`,
      },
      attempts: 0,
    };
    filings.push(filing);
    filingsInFlight.push(fileOne(filing));
  }, 1000 / RATE);

  // Approvers and fulfillers: read new emails from the outbox folder, open each link, decide.
  const actions: EmailedAction[] = [];
  const reader = watchOutbox(outboxDir, (action) => actions.push(action), 500);
  const act = async (action: EmailedAction) => {
    const done = `${action.ticketId}.${action.kind}`;
    while (!decided.has(done) && Date.now() < graceEnds) {
      try {
        const client = await system.client();
        const status = await decideByLink(client, action);
        counters.linkAnswers.set(status, (counters.linkAnswers.get(status) ?? 0) + 1);
        // 409: already decided (by this person before a crash, or by the other fulfiller).
        if (status === 200 || status === 409) decided.add(done);
        else anomalies.push(`${action.kind} link of ${action.ticketId} answered ${status}`);
        return;
      } catch {
        counters.networkErrors++;
        await sleep(500);
      }
    }
  };
  let acting = true;
  const participants = Array.from({ length: PARTICIPANT_CONCURRENCY }, async () => {
    while (acting) {
      const action = actions.shift();
      if (action) await act(action);
      else await sleep(100);
    }
  });

  // The fault: SIGKILL at a random moment, then a restart on the same data.
  let crashing = true;
  const crasher = (async () => {
    for (;;) {
      const wait = (RESTART_MIN_S + Math.random() * (RESTART_MAX_S - RESTART_MIN_S)) * 1000;
      if (Date.now() + wait >= loadEnds) return;
      await sleep(wait);
      if (!crashing) return;
      await system.crashAndRestart();
      log(`soak: SIGKILL and restart #${system.restarts.length} at ${Math.round(elapsedS(began))} s`);
    }
  })();

  const progress = setInterval(() => {
    const filed = filings.filter((filing) => filing.id).length;
    log(
      `soak: ${Math.round(elapsedS(began))} s, ${filed} filed, ${decided.size} decisions and reports, ` +
        `${actions.length} queued, RSS ${samples.at(-1)?.rssMiB ?? '?'} MiB`,
    );
  }, 30_000);

  // The end: no more load or faults; a last reconcile, then wait for the last tickets to close.
  await sleep(Math.max(0, loadEnds - Date.now()));
  clearInterval(filer);
  crashing = false;
  await crasher;
  graceEnds = Date.now() + GRACE_S * 1000;
  const reconciled = await (await system.client()).reconcile();
  log(`soak: load over; final reconcile started ${reconciled.started}, resent ${reconciled.resent}`);
  await Promise.all(filingsInFlight);
  while (Date.now() < graceEnds && !(await allClosed(await system.client()))) await sleep(1000);
  const graceUsedS = Math.round(GRACE_S - Math.max(0, (graceEnds - Date.now()) / 1000));
  acting = false;
  await Promise.all([reader.stop(), ...participants]);
  clearInterval(sampler);
  clearInterval(progress);

  // Assess every ticket the API accepted.
  const client = await system.client();
  const lost: string[] = [];
  const stuck: string[] = [];
  const resolutionS: number[] = [];
  for (const filing of filings) {
    if (!filing.id) {
      anomalies.push(`filing ${filing.key} never got an answer`);
      continue;
    }
    const answer = await client.call<Ticket>(filing.requester, 'GET', `/requests/${filing.id}`);
    if (answer.status === 404) {
      lost.push(filing.id);
      continue;
    }
    const ticket = answer.body;
    if (ticket.status !== 'closed') {
      stuck.push(`${ticket.id} (${ticket.status})`);
      continue;
    }
    anomalies.push(...ticketAnomalies(ticket));
    const closedAt = ticket.timeline.at(-1) as { at?: string } | undefined;
    const filedAt = ticket.timeline[0] as { at?: string } | undefined;
    if (closedAt?.at && filedAt?.at)
      resolutionS.push((Date.parse(closedAt.at) - Date.parse(filedAt.at)) / 1000);
  }
  const accepted = new Set(filings.flatMap((filing) => (filing.id ? [filing.id] : [])));
  const stored = await allTicketIds(client);
  const unrequested = stored.filter((id) => !accepted.has(id));
  const finalRss = vmRssMiB(system.pid());
  await system.stop();
  removeDataDir(system.dataDir);

  const report = {
    minutes: MINUTES,
    rate: RATE,
    filings: filings.length,
    accepted: accepted.size,
    retriedFilings: filings.filter((filing) => filing.attempts > 1).length,
    lost,
    stuck,
    unrequested,
    anomalies: [...new Set(anomalies)],
    restarts: system.restarts,
    samples,
    finalRss,
    networkErrors: counters.networkErrors,
    linkAnswers: Object.fromEntries(counters.linkAnswers),
    reconciled,
    graceUsedS,
    resolutionS: resolutionS.sort((a, b) => a - b),
  };
  writeFileSync(join(ROOT, 'bench', 'soak-results.md'), markdown(report));
  log(
    `soak: ${report.accepted} tickets, ${lost.length} lost, ${stuck.length} stuck, ${unrequested.length} unrequested, ` +
      `${report.anomalies.length} anomalies, ${system.restarts.length} restarts; wrote bench/soak-results.md`,
  );
  for (const line of [...lost, ...stuck, ...unrequested, ...report.anomalies].slice(0, 20)) log(`  ${line}`);
  const failed = lost.length + stuck.length + unrequested.length + report.anomalies.length > 0;
  process.exit(failed ? 1 : 0);
}

/** Opens the page (as a mail client's user would), then posts its form; answers the final status. */
async function decideByLink(client: TollgateClient, action: EmailedAction): Promise<number> {
  const link = client.onThisServer(action.link);
  const page = await client.openLink(link);
  if (page.status !== 200) return page.status;
  const fields: Record<string, string> =
    action.kind === 'approval' ? { decision: 'approve', comment: 'soak' } : { result: 'done', note: 'soak' };
  const response = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: page.csrf ?? '', ...fields }).toString(),
  });
  await response.arrayBuffer();
  return response.status;
}

async function allClosed(client: TollgateClient): Promise<boolean> {
  for (const status of ['submitted', 'pending_approval', 'fulfilling']) {
    const open = await client.call<{ items: unknown[] }>(
      AUDITOR,
      'GET',
      `/requests?status=${status}&limit=1`,
    );
    if (open.status !== 200 || open.body.items.length > 0) return false;
  }
  return true;
}

async function allTicketIds(client: TollgateClient): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = await client.call<{ items: { id: string }[]; next: string | null }>(
      AUDITOR,
      'GET',
      `/requests?limit=100${query}`,
    );
    ids.push(...page.body.items.map((item) => item.id));
    cursor = page.body.next;
  } while (cursor);
  return ids;
}

/** Each closed ticket was approved once, fulfilled once, closed as fulfilled, with an intact chain. */
function ticketAnomalies(ticket: Ticket): string[] {
  const found: string[] = [];
  if (ticket.closure !== 'fulfilled') found.push(`${ticket.id} closed as ${ticket.closure}`);
  const decisions = ticket.approvals.filter((approval) => approval.decision !== null).length;
  if (decisions !== 1) found.push(`${ticket.id} has ${decisions} approval decisions`);
  const reports = ticket.timeline.filter((event) => event.type === 'fulfilment_reported').length;
  if (reports !== 1) found.push(`${ticket.id} has ${reports} fulfilment reports`);
  const broken = chainProblems(ticket.timeline);
  if (broken.length > 0) found.push(`${ticket.id} timeline: ${broken[0]}`);
  return found;
}

function log(line: string): void {
  console.log(line);
}

interface Report {
  minutes: number;
  rate: number;
  filings: number;
  accepted: number;
  retriedFilings: number;
  lost: string[];
  stuck: string[];
  unrequested: string[];
  anomalies: string[];
  restarts: { atS: number; downS: number }[];
  samples: { atS: number; rssMiB: number }[];
  finalRss: number | null;
  networkErrors: number;
  linkAnswers: Record<string, number>;
  reconciled: { started: number; resent: number };
  graceUsedS: number;
  resolutionS: number[];
}

function markdown(report: Report): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = git(
    'status',
    '--porcelain',
    '--',
    'bin',
    'functions',
    'seed',
    'statemachines',
    'bench/soak.ts',
  );
  const rss = report.samples.map((sample) => sample.rssMiB);
  const top = Math.ceil((Math.max(...rss, 1) * 1.15) / 10) * 10;
  const quantile = (q: number) =>
    report.resolutionS.length === 0
      ? 'n/a'
      : `${report.resolutionS[Math.min(report.resolutionS.length - 1, Math.floor(q * report.resolutionS.length))]?.toFixed(1)} s`;
  const verdict = report.lost.length === 0 && report.stuck.length === 0 ? 'pass' : 'FAIL';
  const rows: [string, string][] = [
    ['tickets filed (201)', `${report.accepted} of ${report.filings} attempted`],
    ['filings retried after a crash', `${report.retriedFilings} (same Idempotency-Key)`],
    ['lost (201, then not found)', String(report.lost.length)],
    ['stuck (not closed)', String(report.stuck.length)],
    ['stored but never answered with a 201', String(report.unrequested.length)],
    ['other anomalies', String(report.anomalies.length)],
    ['SIGKILL restarts', String(report.restarts.length)],
    ['final reconcile', `started ${report.reconciled.started}, resent ${report.reconciled.resent}`],
    ['grace used', `${report.graceUsedS} s`],
    ['time to close, p50 / p90 / max', `${quantile(0.5)} / ${quantile(0.9)} / ${quantile(1)}`],
    [
      'link answers',
      Object.entries(report.linkAnswers)
        .map(([status, count]) => `${status}: ${count}`)
        .join(', '),
    ],
    ['calls cut off by a kill (retried)', String(report.networkErrors)],
    ['RSS min / max / last', `${Math.min(...rss)} / ${Math.max(...rss)} / ${report.finalRss ?? '?'} MiB`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  return [
    '# Soak results',
    '',
    `Run ${new Date().toISOString()} at commit \`${git('rev-parse', 'HEAD').slice(0, 12)}\`${dirty ? ' (with uncommitted changes)' : ''}`,
    `on ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${Math.round((totalmem() / 2 ** 30) * 10) / 10} GiB, Node ${process.version}.`,
    `Written by \`npm run soak\` (SOAK_MINUTES=${report.minutes}): ${report.rate} access requests per second,`,
    'each approved and fulfilled from its emailed links by scripted people, while the server is killed',
    `with SIGKILL and restarted on the same data every ${RESTART_MIN_S} to ${RESTART_MAX_S} s. Then a last reconcile`,
    'and a grace period for the last tickets. Lost and stuck must both be zero.',
    '',
    `**Verdict: ${verdict}.**`,
    '',
    `| ${'figure'.padEnd(width)} | ${'value'.padEnd(valueWidth)} |`,
    `| ${'-'.repeat(width)} | ${'-'.repeat(valueWidth)} |`,
    ...rows.map(([name, value]) => `| ${name.padEnd(width)} | ${value.padEnd(valueWidth)} |`),
    '',
    'Memory of the server process (VmRSS, sampled every 5 s; each restart starts a new process):',
    '',
    '```mermaid',
    'xychart-beta',
    '  title "RSS of the Tollgate process (MiB) over the run (s)"',
    `  x-axis "seconds" [${report.samples.map((sample) => sample.atS).join(', ')}]`,
    `  y-axis "MiB" 0 --> ${top}`,
    `  line [${rss.join(', ')}]`,
    '```',
    '',
    `Restarts (s into the run, and seconds until the new process was ready): ${
      report.restarts
        .map((restart) => `${Math.round(restart.atS)} (${restart.downS.toFixed(1)})`)
        .join(', ') || 'none'
    }.`,
    '',
    ...(report.anomalies.length + report.lost.length + report.stuck.length > 0
      ? [
          'Findings:',
          '',
          ...[
            ...report.lost.map((id) => `lost ${id}`),
            ...report.stuck.map((id) => `stuck ${id}`),
            ...report.anomalies,
          ]
            .slice(0, 50)
            .map((line) => `- ${line}`),
          '',
        ]
      : []),
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
