/**
 * How long one invocation of a workflow task may run: a few DynamoDB calls, and for notify an
 * email per assignee. Past it, Lambda stops the function and the state fails with Sandbox.Timedout.
 */
const TASK_TIMEOUT_SECONDS = 10;

/**
 * THE list of state machines and the Lambda tasks their ASL files name. The CDK stack creates one
 * function per task, with the task's timeout, and substitutes its ARN for the placeholder; the local
 * runtime substitutes a local ARN, runs the same handler module in process, and fails an invocation
 * still running after the task's timeout with Sandbox.Timedout, as Lambda does.
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
];

export const stateMachines = [
  { name: 'access-request', definitionFile: 'statemachines/access-request.asl.json' },
] as const;

export const ACCESS_REQUEST_STATE_MACHINE = 'access-request';
