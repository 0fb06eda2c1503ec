/**
 * How long one invocation of a workflow task may run: a few DynamoDB calls, and for notify an
 * email per assignee. Past it, Lambda stops the function and the state fails with Sandbox.Timedout.
 */
const TASK_TIMEOUT_SECONDS = 10;

/**
 * A simulation step reads a page of tickets and their snapshots and asks Cedar five questions about
 * each (well under a second for 100 tickets); its first step also counts the period's tickets, which
 * for a large history takes a few seconds more.
 */
const SIMULATION_STEP_TIMEOUT_SECONDS = 60;

/**
 * An export step reads pages of whole tickets until they make a 5 MiB part (a few thousand
 * tickets), then writes the part to S3; its first step also counts the period's tickets.
 */
const EXPORT_STEP_TIMEOUT_SECONDS = 120;

/**
 * THE list of state machines and the Lambda tasks their ASL files name. The CDK stack creates one
 * function per task, with the task's timeout, and substitutes its ARN for the placeholder; the local
 * runtime substitutes a local ARN, runs the same handler module in process, and fails an invocation
 * still running after the task's timeout with Sandbox.Timedout, as Lambda does.
 *
 * Task inputs stay backward compatible. An execution runs to its end on the definition it started
 * with (Step Functions keeps it, and so does the local service across restarts), but each task runs
 * the newest handler (the ASL names the functions unqualified, i.e. `$LATEST`). So a handler must
 * accept every Payload an older definition may still send: a new Payload field is optional in the
 * handler's zod schema, and no field is renamed or removed while executions that send it may be
 * in flight (for a ticket: until its final deadline has passed). The same holds for what a task
 * answers, which the older definition's ResultSelector and Choice states read.
 */
export const workflowTasks: readonly {
  placeholder: string;
  name: string;
  handler: string;
  timeoutSeconds: number;
}[] = [
  {
    placeholder: 'AdvanceFunctionArn',
    name: 'advance',
    handler: 'workflow/advance',
    timeoutSeconds: TASK_TIMEOUT_SECONDS,
  },
  {
    placeholder: 'NotifyFunctionArn',
    name: 'notify',
    handler: 'workflow/notify',
    timeoutSeconds: TASK_TIMEOUT_SECONDS,
  },
  {
    placeholder: 'RecordFailureFunctionArn',
    name: 'record-failure',
    handler: 'workflow/record-failure',
    timeoutSeconds: TASK_TIMEOUT_SECONDS,
  },
  {
    placeholder: 'BeginRevocationFunctionArn',
    name: 'begin-revocation',
    handler: 'workflow/begin-revocation',
    timeoutSeconds: TASK_TIMEOUT_SECONDS,
  },
  {
    placeholder: 'SimulatePageFunctionArn',
    name: 'simulate-page',
    handler: 'workflow/simulate-page',
    timeoutSeconds: SIMULATION_STEP_TIMEOUT_SECONDS,
  },
  {
    /** Marks any job failed (a simulation's, an export's): the name stays, as the function's. */
    placeholder: 'JobFailedFunctionArn',
    name: 'simulation-failed',
    handler: 'workflow/simulation-failed',
    timeoutSeconds: TASK_TIMEOUT_SECONDS,
  },
  {
    placeholder: 'ExportPageFunctionArn',
    name: 'export-page',
    handler: 'workflow/export-page',
    timeoutSeconds: EXPORT_STEP_TIMEOUT_SECONDS,
  },
];

/**
 * THE list of state machines. Each is deployed from its ASL file (as `<stack name>-<name>`) and run
 * locally from the same file; every function is told its ARN in the environment variable
 * `arnSetting` names, which the handlers read; its role may invoke the tasks its file names; and
 * each handler may act on it as lib/handler-needs.ts says under its name. A new machine (revocation,
 * delivery) is an entry here, its ASL file, its tasks above and its needs: no stack code changes.
 */
export const stateMachines = [
  {
    name: 'access-request',
    definitionFile: 'statemachines/access-request.asl.json',
    arnSetting: 'STATE_MACHINE_ARN',
    /** The stack output that gives its ARN (docs/deploy.md names it). */
    output: 'StateMachineArn',
  },
  {
    /** A policy simulation (POST /policies/simulations): a page of past tickets per step, looped until done. */
    name: 'policy-simulation',
    definitionFile: 'statemachines/policy-simulation.asl.json',
    arnSetting: 'POLICY_SIMULATION_STATE_MACHINE_ARN',
    output: 'PolicySimulationStateMachineArn',
  },
  {
    /**
     * The end of one grant: started by the grant's schedule, the sweep, or a request to end it
     * early, named after the grant and what ends it; it asks for the access to be removed and waits
     * for the confirmation.
     */
    name: 'grant-revocation',
    definitionFile: 'statemachines/grant-revocation.asl.json',
    arnSetting: 'REVOCATION_STATE_MACHINE_ARN',
    output: 'RevocationStateMachineArn',
  },
  {
    /** An audit export (POST /audit/exports): pages of tickets written as parts of one S3 file, looped until done. */
    name: 'audit-export',
    definitionFile: 'statemachines/audit-export.asl.json',
    arnSetting: 'AUDIT_EXPORT_STATE_MACHINE_ARN',
    output: 'AuditExportStateMachineArn',
  },
] as const satisfies readonly StateMachineEntry[];

export interface StateMachineEntry {
  name: string;
  /** The ASL file, relative to the project root. */
  definitionFile: string;
  /** The environment variable that carries its ARN to every function. */
  arnSetting: string;
  output?: string;
}

export type StateMachineName = (typeof stateMachines)[number]['name'];

export const ACCESS_REQUEST_STATE_MACHINE = 'access-request';
export const accessRequestStateMachine = stateMachines[0];
export const policySimulationStateMachine = stateMachines[1];
export const revocationStateMachine = stateMachines[2];
export const auditExportStateMachine = stateMachines[3];
