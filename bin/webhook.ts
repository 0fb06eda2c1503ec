import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { taskId } from '../functions/app/workflow-steps';
import { inboundEventTypes, isInboundEventType } from '../functions/domain/webhooks';
import { DEFAULT_LISTEN_PORT } from '../functions/local/secretsmanager';
import { localWebhookSecrets, sendSignedWebhook } from '../functions/local/webhook-client';

const USAGE = `Usage:
  npm run webhook -- send <type> [--ticket ID] [--delivery ID] [--identity ID] [--note TEXT] [--data JSON]
  npm run webhook -- listen [--port ${DEFAULT_LISTEN_PORT}] [--answer completed|failed]

  send    signs <type> (${inboundEventTypes.join(', ')}) with the local
          secret of its integration and posts it to the local Tollgate (PORT, default 3000)
  listen  receives Tollgate's outbound webhooks (the provisioning integration's requests and the
          demo subscriber's ticket and grant events), verifies and prints them; with --answer,
          reports each grant.requested back as fulfilment.<answer>, and each revoke.requested as
          fulfilment.completed (a removal cannot fail)
  The secrets are read from TOLLGATE_DATA_DIR (default .tollgate)/webhook-secrets.json.`;

/** Which demo integration may send each event type. */
const integrationFor = (type: string) =>
  type.startsWith('identity.') ? 'hr' : type.startsWith('fulfilment.') ? 'provisioning' : 'servicedesk';

const dataDir = resolve(process.env.TOLLGATE_DATA_DIR ?? '.tollgate');
const tollgate = `http://127.0.0.1:${process.env.PORT ?? '3000'}`;

function secretOf(integration: string): string {
  const secret = localWebhookSecrets(dataDir)[integration]?.[0];
  if (!secret) throw new Error(`No secret for ${integration} in ${dataDir}/webhook-secrets.json`);
  return secret;
}

async function send(type: string, values: Record<string, string | undefined>): Promise<void> {
  if (!isInboundEventType(type)) throw new Error(`Unknown type ${type}\n\n${USAGE}`);
  const extra = values.data ? (JSON.parse(values.data) as Record<string, unknown>) : {};
  const data = type.startsWith('fulfilment.')
    ? {
        ticket: values.ticket,
        delivery: values.delivery ?? taskId(values.ticket ?? '', 'fulfilment', null),
        ...(values.note ? { note: values.note } : {}),
        ...extra,
      }
    : type.startsWith('identity.')
      ? { identity: values.identity, ...extra }
      : extra;
  const integration = integrationFor(type);
  const answer = await sendSignedWebhook(`${tollgate}/webhooks/${integration}`, secretOf(integration), {
    type,
    data,
  });
  console.log(`${answer.status} ${JSON.stringify(answer.body, null, 2)}`);
  if (answer.status >= 400) process.exitCode = 1;
}

type Received = { type: string; version?: number; data: Record<string, string> };

/**
 * The event, if a local secret signed it: the provisioning integration's, or a subscriber's (the
 * demo's `subscriber-demo`). The file is read for each, so a subscriber added since is verified too.
 */
function verifiedByAny(text: string, headers: Record<string, string>): Received | null {
  for (const secret of Object.values(localWebhookSecrets(dataDir)).flat()) {
    try {
      return new Webhook(secret).verify(text, headers) as Received;
    } catch {
      // Signed with another secret, or not at all: the next one is tried.
    }
  }
  return null;
}

function listen(port: number, answer: string | undefined): void {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const event = verifiedByAny(text, request.headers as Record<string, string>);
      if (!event) {
        console.log('refused (no local secret verifies its signature)');
        response.writeHead(401).end();
        return;
      }
      response.writeHead(202).end();
      const version = event.version === undefined ? '' : ` v${event.version}`;
      console.log(`${new Date().toISOString()} ${event.type}${version} ${JSON.stringify(event.data)}`);
      if (answer && (event.type === 'grant.requested' || event.type === 'revoke.requested')) {
        const result = event.type === 'grant.requested' ? answer : 'completed';
        void send(`fulfilment.${result}`, { ticket: event.data.ticket, delivery: event.data.delivery });
      }
    });
  });
  server.listen(port, '127.0.0.1', () =>
    console.log(`Listening for Tollgate's webhooks on http://127.0.0.1:${port}/`),
  );
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      ticket: { type: 'string' },
      delivery: { type: 'string' },
      identity: { type: 'string' },
      note: { type: 'string' },
      data: { type: 'string' },
      port: { type: 'string', default: String(DEFAULT_LISTEN_PORT) },
      answer: { type: 'string' },
    },
  });
  const [command, type] = positionals;
  if (command === 'send' && type) return send(type, values);
  if (command === 'listen') {
    if (values.answer && !['completed', 'failed'].includes(values.answer)) throw new Error(USAGE);
    return listen(Number(values.port), values.answer);
  }
  throw new Error(USAGE);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
