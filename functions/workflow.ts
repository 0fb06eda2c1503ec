/**
 * THE list of state machines and the Lambda tasks their ASL files name. The CDK stack creates one
 * function per task and substitutes its ARN for the placeholder; the local runtime substitutes a
 * local ARN and runs the same handler module in process.
 *
 * Task inputs stay backward compatible. An execution runs to its end on the definition it started
 * with (Step Functions keeps it, and so does the local service across restarts), but each task runs
 * the newest handler (the ASL names the functions unqualified, i.e. `$LATEST`). So a handler must
 * accept every Payload an older definition may still send: a new Payload field is optional in the
 * handler's zod schema, and no field is renamed or removed while executions that send it may be
 * in flight (for a ticket: until its final deadline has passed). The same holds for what a task
 * answers, which the older definition's ResultSelector and Choice states read.
 */
export const workflowTasks = [
  { placeholder: 'AdvanceFunctionArn', name: 'advance', handler: 'workflow/advance' },
  { placeholder: 'NotifyFunctionArn', name: 'notify', handler: 'workflow/notify' },
  { placeholder: 'RecordFailureFunctionArn', name: 'record-failure', handler: 'workflow/record-failure' },
] as const;

export const stateMachines = [
  { name: 'access-request', definitionFile: 'statemachines/access-request.asl.json' },
] as const;

export const ACCESS_REQUEST_STATE_MACHINE = 'access-request';
