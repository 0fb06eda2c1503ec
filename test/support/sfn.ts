import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { localCredentials } from '../../functions/local/dynamodb';

/** A Step Functions client of a local endpoint; `maxAttempts: 1` where a test wants each error as the service gave it. */
export function localSfnClient(
  endpoint: string,
  options: Pick<SFNClientConfig, 'maxAttempts'> = {},
): SFNClient {
  return new SFNClient({ endpoint, region: 'us-east-1', credentials: localCredentials, ...options });
}
