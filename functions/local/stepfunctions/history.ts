import type { ExecutionRecord, Json } from './checkpoints';

/**
 * One event of an execution's history in the shape GetExecutionHistory answers
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html), except
 * that `timestamp` is kept in epoch milliseconds; its details sit under the AWS key for its type
 * (`stateEnteredEventDetails`, `taskScheduledEventDetails`, ...).
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: `${string}EventDetails`]: { [key: string]: Json };
}

/**
 * The most events kept per execution (AWS keeps 25,000 and then fails the execution): past it the
 * oldest are dropped, except ExecutionStarted, so the checkpoint that carries the history stays small.
 */
export const MAX_HISTORY_EVENTS = 1000;

/** Every Lambda task here is the Lambda integration: `resourceType` and `resource` as AWS names them. */
export const LAMBDA_RESOURCE_TYPE = 'lambda';

const notTruncated = { truncated: false };

export function appendEvent(
  record: ExecutionRecord,
  type: string,
  details?: [key: `${string}EventDetails`, value: { [key: string]: Json | undefined }],
): void {
  record.history ??= [];
  // Nothing happens after the execution ended (a task the end cut short may still settle).
  if (/^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(record.history.at(-1)?.type ?? '')) return;
  const id = (record.lastEventId ?? record.history.at(-1)?.id ?? 0) + 1;
  const event: HistoryEvent = { id, previousEventId: id - 1, timestamp: Date.now(), type };
  if (details) event[details[0]] = withoutUndefined(details[1]);
  record.history.push(event);
  record.lastEventId = id;
  const excess = record.history.length - MAX_HISTORY_EVENTS;
  if (excess > 0) record.history.splice(record.history[0]?.type === 'ExecutionStarted' ? 1 : 0, excess);
}

export function executionStarted(record: ExecutionRecord): void {
  appendEvent(record, 'ExecutionStarted', [
    'executionStartedEventDetails',
    { input: record.input, inputDetails: notTruncated },
  ]);
}

/** `<Type>StateEntered` for a top-level state, with the input it was entered with. */
export function stateEntered(record: ExecutionRecord, stateType: string, name: string, input: Json): void {
  appendEvent(record, `${stateType}StateEntered`, [
    'stateEnteredEventDetails',
    { name, input: JSON.stringify(input), inputDetails: notTruncated },
  ]);
}

/** `<Type>StateExited` (never for a Fail state, which ends the execution instead). */
export function stateExited(record: ExecutionRecord, stateType: string, name: string, output: Json): void {
  if (stateType === 'Fail') return;
  appendEvent(record, `${stateType}StateExited`, [
    'stateExitedEventDetails',
    { name, output: JSON.stringify(output), outputDetails: notTruncated },
  ]);
}

export function executionEnded(
  record: ExecutionRecord,
  result: { output?: string | undefined; error?: string | undefined; cause?: string | undefined },
): void {
  switch (record.status) {
    case 'SUCCEEDED':
      appendEvent(record, 'ExecutionSucceeded', [
        'executionSucceededEventDetails',
        { output: result.output, outputDetails: notTruncated },
      ]);
      return;
    case 'FAILED':
      appendEvent(record, 'ExecutionFailed', [
        'executionFailedEventDetails',
        { error: result.error, cause: result.cause },
      ]);
      return;
    case 'ABORTED':
      appendEvent(record, 'ExecutionAborted', [
        'executionAbortedEventDetails',
        { error: result.error, cause: result.cause },
      ]);
      return;
    case 'TIMED_OUT':
      appendEvent(record, 'ExecutionTimedOut', [
        'executionTimedOutEventDetails',
        { error: result.error, cause: result.cause },
      ]);
      return;
    case 'RUNNING':
      return;
  }
}

/** The events of one Lambda task attempt, `resource` being `invoke` or `invoke.waitForTaskToken`. */
export function taskEvents(record: ExecutionRecord, resource: string, region: string) {
  const resourceFields = { resourceType: LAMBDA_RESOURCE_TYPE, resource };
  return {
    scheduled(parameters: Json, timeoutInSeconds: number | undefined) {
      appendEvent(record, 'TaskScheduled', [
        'taskScheduledEventDetails',
        { ...resourceFields, region, parameters: JSON.stringify(parameters), timeoutInSeconds },
      ]);
      appendEvent(record, 'TaskStarted', ['taskStartedEventDetails', resourceFields]);
    },
    submitted(output: Json) {
      appendEvent(record, 'TaskSubmitted', [
        'taskSubmittedEventDetails',
        { ...resourceFields, output: JSON.stringify(output), outputDetails: notTruncated },
      ]);
    },
    succeeded(output: Json) {
      appendEvent(record, 'TaskSucceeded', [
        'taskSucceededEventDetails',
        { ...resourceFields, output: JSON.stringify(output), outputDetails: notTruncated },
      ]);
    },
    failed(error: string, cause?: string) {
      if (error === 'States.Timeout') {
        appendEvent(record, 'TaskTimedOut', [
          'taskTimedOutEventDetails',
          { ...resourceFields, error, cause },
        ]);
      } else {
        appendEvent(record, 'TaskFailed', ['taskFailedEventDetails', { ...resourceFields, error, cause }]);
      }
    },
  };
}

/** The event as GetExecutionHistory answers it: epoch seconds, and without inputs and outputs unless asked. */
export function toApiEvent(event: HistoryEvent, includeExecutionData: boolean): object {
  const answered: { [key: string]: unknown } = { ...event, timestamp: event.timestamp / 1000 };
  if (!includeExecutionData) {
    for (const [key, value] of Object.entries(event)) {
      if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
      const { input: _input, output: _output, ...rest } = value as { [key: string]: Json };
      answered[key] = rest;
    }
  }
  return answered;
}

function withoutUndefined(fields: { [key: string]: Json | undefined }): { [key: string]: Json } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as {
    [key: string]: Json;
  };
}
