import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What one client sent to DynamoDB: requests by operation, items read, and the capacity DynamoDB said they consumed. */
export interface ReadCounts {
  requests: Record<string, number>;
  /** Index entries a Query evaluated (its ScannedCount), items a GetItem or BatchGetItem found. */
  items: Record<string, number>;
  /** Read capacity units by operation, as ConsumedCapacity reported them; empty when the store reports none. */
  capacityUnits: Record<string, number>;
}

/**
 * Counts what goes through `client`, asking DynamoDB for the capacity each request consumed
 * (ReturnConsumedCapacity TOTAL), as a read adds nothing else to it.
 */
export function countReads(client: DynamoDBClient): ReadCounts {
  const counts: ReadCounts = { requests: {}, items: {}, capacityUnits: {} };
  const add = (record: Record<string, number>, name: string, value: number) => {
    record[name] = (record[name] ?? 0) + value;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const output = result.output as {
        ScannedCount?: number;
        Item?: unknown;
        Responses?: Record<string, unknown[]>;
        ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[];
      };
      const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
      add(counts.requests, operation, 1);
      const items =
        output.ScannedCount ??
        (output.Responses
          ? Object.values(output.Responses).reduce((sum, found) => sum + found.length, 0)
          : output.Item
            ? 1
            : 0);
      add(counts.items, operation, items);
      for (const consumed of [output.ConsumedCapacity ?? []].flat()) {
        if (consumed.CapacityUnits !== undefined)
          add(counts.capacityUnits, operation, consumed.CapacityUnits);
      }
      return result;
    },
    { step: 'initialize', name: 'benchReadCounts' },
  );
  return counts;
}
