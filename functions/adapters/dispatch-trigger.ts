import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { DispatchRequest, DispatchTrigger } from '../app/ports';

/**
 * Asks the outbound dispatcher to deliver at once by Lambda's asynchronous invoke (`Event`): the
 * call returns once Lambda has queued it, and Lambda retries a run that fails. The same client
 * reaches the local Lambda endpoint under `npm start` (AWS_ENDPOINT_URL_LAMBDA).
 */
export class LambdaDispatchTrigger implements DispatchTrigger {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
  ) {}

  async dispatch(request: DispatchRequest): Promise<void> {
    await this.lambda.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ dispatch: request })),
      }),
    );
  }
}
