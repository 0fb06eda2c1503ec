import { parseArgs } from 'node:util';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { readDirectoryFiles } from '../functions/adapters/directory-files';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { DynamoDirectory } from '../functions/adapters/dynamodb/directory-store';
import { DynamoTicketStore } from '../functions/adapters/dynamodb/ticket-store';
import {
  DynamoGrantStore,
  DynamoLinkStore,
  DynamoTaskStore,
} from '../functions/adapters/dynamodb/workflow-records';
import { SesMailer } from '../functions/adapters/email/mailer';
import { InjectedFaults } from '../functions/adapters/faults';
import { SchedulerGrantSchedules } from '../functions/adapters/scheduler';
import {
  createStepFunctionsClient,
  StepFunctionsRevocations,
  StepFunctionsWorkflow,
} from '../functions/adapters/step-functions';
import { randomSecrets, systemClock } from '../functions/adapters/system';
import {
  applyIdentityChange,
  type IdentityChangeDeps,
  type IdentityChangeResult,
} from '../functions/app/identity-changes';
import { compareWithStored, describeChange } from '../functions/domain/identity-changes';
import { accessRequestStateMachine, revocationStateMachine } from '../functions/workflow';

const usage = `Loads a directory and a catalog into a Tollgate table.

  npm run load-directory -- --table <TableName output> [--directory <file>] [--catalog <file>]
                            [--url <ApiUrl output>] [--sender <address>]
                            [--state-machine <AccessRequestStateMachineArn output>]
                            [--revocation-state-machine <RevocationStateMachineArn output>]

The files have the shape of seed/directory.json and seed/catalog.json (the defaults). Both are
validated as a whole, references included, before anything is written. New entries are written as
they are; an entry that differs from the stored one is a change, applied as PUT /directory/{id} and
PUT /catalog/systems/{id} apply it: a departed or suspended approver's open stages move to the
fallback approver, a manager stage follows a manager change, a departed owner's service accounts
are flagged, a departed beneficiary's open tickets are cancelled and their grants revoked. Those
who are asked instead are emailed links, a cancelled ticket's execution is stopped and a revoked
grant's revocation started, so changes need --url (where the links point: the stack's ApiUrl;
PUBLIC_BASE_URL), --sender (SENDER_ADDRESS), --state-machine (the access-request state machine's
ARN; STATE_MACHINE_ARN) and --revocation-state-machine (REVOCATION_STATE_MACHINE_ARN). AWS credentials and region come from the usual AWS settings
(AWS_PROFILE, AWS_REGION, ...).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      directory: { type: 'string' },
      catalog: { type: 'string' },
      url: { type: 'string', default: process.env.PUBLIC_BASE_URL },
      sender: { type: 'string', default: process.env.SENDER_ADDRESS },
      'state-machine': { type: 'string', default: process.env[accessRequestStateMachine.arnSetting] },
      'revocation-state-machine': { type: 'string', default: process.env[revocationStateMachine.arnSetting] },
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
  const db = createDocumentClient();
  const directory = new DynamoDirectory(db, values.table);
  const [storedIdentities, storedSystems] = await Promise.all([
    directory.allIdentities(),
    directory.catalog(),
  ]);
  const identities = compareWithStored(files.identities, new Map(storedIdentities.map((i) => [i.id, i])));
  const systems = compareWithStored(files.systems, new Map(storedSystems.map((s) => [s.id, s])));
  const changed = identities.changed.length + systems.changed.length;
  const stateMachine = values['state-machine'];
  const revocationMachine = values['revocation-state-machine'];
  if (changed > 0 && !(values.url && values.sender && stateMachine && revocationMachine)) {
    console.error(
      `${changed} entries change what is stored; the people their changes ask are emailed links, the executions of tickets they cancel are stopped and the grants of those who left revoked. Give --url (the stack's ApiUrl), --sender, --state-machine and --revocation-state-machine, or PUBLIC_BASE_URL, SENDER_ADDRESS, ${accessRequestStateMachine.arnSetting} and ${revocationStateMachine.arnSetting}. Nothing was written.`,
    );
    process.exit(2);
  }
  console.log(
    `Loading ${files.identities.length} identities, ${files.systems.length} systems and ${files.supportQueues.length} support queues into ${values.table}...`,
  );
  // New identities first: a changed entry may name one as its manager or owner.
  await directory.put({ identities: identities.created });
  console.log(
    `  identities: ${identities.created.length} new, ${identities.changed.length} changed, ${identities.unchanged.length} unchanged`,
  );
  const deps = changeDeps({
    tableName: values.table,
    publicBaseUrl: values.url ?? '',
    sender: values.sender ?? '',
    stateMachineArn: stateMachine ?? '',
    revocationStateMachineArn: revocationMachine ?? '',
  });
  for (const identity of identities.changed) {
    report(identity.id, await applyIdentityChange(deps, { actor: ACTOR, identity }));
  }
  await directory.put({ systems: systems.created, queues: files.supportQueues });
  console.log(
    `  systems: ${systems.created.length} new, ${systems.changed.length} changed, ${systems.unchanged.length} unchanged; support queues: ${files.supportQueues.length} written`,
  );
  for (const system of systems.changed) {
    report(system.id, await applyIdentityChange(deps, { actor: ACTOR, system }));
  }
  console.log('Done.');
}

/** Who the timeline names as the author of the changes a load makes. */
const ACTOR = 'load-directory';

/** What a change needs besides the table: the stores of tickets and their waits, SES and Step Functions. */
function changeDeps(settings: {
  tableName: string;
  publicBaseUrl: string;
  sender: string;
  stateMachineArn: string;
  revocationStateMachineArn: string;
}): IdentityChangeDeps {
  const { tableName, publicBaseUrl, sender, stateMachineArn, revocationStateMachineArn } = settings;
  const db = createDocumentClient();
  const stepFunctions = createStepFunctionsClient();
  return {
    clock: systemClock,
    directory: new DynamoDirectory(db, tableName),
    tickets: new DynamoTicketStore(db, tableName),
    tasks: new DynamoTaskStore(db, tableName),
    links: new DynamoLinkStore(db, tableName),
    mailer: new SesMailer(new SESv2Client({}), sender),
    secrets: randomSecrets,
    workflow: new StepFunctionsWorkflow(stepFunctions, stateMachineArn),
    grants: new DynamoGrantStore(db, tableName),
    // A departure only deletes grant schedules: it never makes one, so it names no Scheduler role.
    grantSchedules: new SchedulerGrantSchedules(new SchedulerClient({})),
    revocations: new StepFunctionsRevocations(stepFunctions, revocationStateMachineArn),
    // Fault injection is for the local system's own processes, never this tool.
    faults: new InjectedFaults(''),
    settings: { publicBaseUrl: publicBaseUrl.replace(/\/+$/, '') },
    log: (message, details) => console.error(`  ${message}: ${JSON.stringify(details)}`),
  };
}

function report(id: string, result: IdentityChangeResult): void {
  const what = [
    ...result.changes.map(describeChange),
    ...result.stagesMoved.map(
      (moved) => `ticket ${moved.ticket}: ${moved.stage} stage moved to ${moved.to.join(', ')}`,
    ),
    ...result.ticketsClosed.map((ticket) => `ticket ${ticket}: closed, nobody left to approve it`),
    ...(result.ticketsCancelled.length > 0
      ? [`tickets cancelled: ${result.ticketsCancelled.join(', ')}`]
      : []),
    ...(result.serviceAccountsFlagged.length > 0
      ? [`service accounts flagged: ${result.serviceAccountsFlagged.join(', ')}`]
      : []),
  ];
  console.log(`  ${id}: ${what.length > 0 ? what.join('; ') : 'updated'}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
