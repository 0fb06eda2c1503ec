/**
 * THE list of state machines and the Lambda tasks their ASL files name. The CDK stack creates one
 * function per task and substitutes its ARN for the placeholder; the local runtime substitutes a
 * local ARN and runs the same handler module in process.
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
