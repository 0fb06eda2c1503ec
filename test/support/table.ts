import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_TABLE_NAME, localCredentials } from '../../functions/local/dynamodb';

/** The items of one partition of the local table (those whose sort key starts with `sortPrefix`, if given). */
export async function partitionItems(
  endpoint: string,
  partitionKey: string,
  sortPrefix?: string,
): Promise<Record<string, unknown>[]> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials });
  try {
    const { Items } = await DynamoDBDocumentClient.from(client).send(
      new QueryCommand({
        TableName: LOCAL_TABLE_NAME,
        KeyConditionExpression: sortPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
        ExpressionAttributeValues: { ':pk': partitionKey, ...(sortPrefix ? { ':prefix': sortPrefix } : {}) },
      }),
    );
    return Items ?? [];
  } finally {
    client.destroy();
  }
}
