import { createServer, type Server } from 'node:http';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '../../functions/local/dynamodb';
import { startLocalLambda } from '../../functions/local/lambda-service';
import { eventually } from '../support/workflow-client';

/** The local Lambda endpoint, driven by the AWS SDK's own client, as the dispatch trigger drives it. */
describe('the local Lambda endpoint', () => {
  const ran: unknown[] = [];
  let server: Server;
  let lambda: LambdaClient;
  let service: Awaited<ReturnType<typeof startLocalLambda>>;

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    service = await startLocalLambda({
      server,
      region: 'us-east-1',
      account: '000000000000',
      log: () => {},
      functions: new Map([
        [
          'tollgate-echo',
          async (event: unknown) => {
            ran.push(event);
            if ((event as { fail?: boolean }).fail) throw new TypeError('asked to fail');
            return { echoed: event };
          },
        ],
      ]),
    });
    lambda = new LambdaClient({ endpoint: service.url, region: 'us-east-1', credentials: localCredentials });
  });

  afterAll(async () => {
    lambda?.destroy();
    await service?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const payload = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('queues an Event invocation, answering 202 before the function has run, which then runs', async () => {
    // Act
    const answer = await lambda.send(
      new InvokeCommand({
        FunctionName: 'tollgate-echo',
        InvocationType: 'Event',
        Payload: payload({ n: 1 }),
      }),
    );

    // Assess
    expect(answer.StatusCode).toBe(202);
    expect(answer.Payload?.length ?? 0).toBe(0);
    await eventually(async () => (ran.some((event) => (event as { n?: number }).n === 1) ? true : undefined));
  });

  it("answers a RequestResponse invocation with the function's result, or its error as Lambda reports it", async () => {
    // Act
    const ok = await lambda.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:tollgate-echo',
        Payload: payload({ n: 2 }),
      }),
    );
    const failed = await lambda.send(
      new InvokeCommand({ FunctionName: 'tollgate-echo', Payload: payload({ fail: true }) }),
    );

    // Assess
    expect(ok.StatusCode).toBe(200);
    expect(JSON.parse(Buffer.from(ok.Payload ?? []).toString())).toEqual({ echoed: { n: 2 } });
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(failed.Payload ?? []).toString())).toEqual({
      errorType: 'TypeError',
      errorMessage: 'asked to fail',
    });
  });

  it('refuses a function it does not serve as Lambda does', async () => {
    // Act
    const invoking = lambda.send(
      new InvokeCommand({ FunctionName: 'tollgate-nothing', InvocationType: 'Event' }),
    );

    // Assess
    await expect(invoking).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(invoking).rejects.toThrow(
      /Function not found: arn:aws:lambda:us-east-1:000000000000:function:tollgate-nothing/,
    );
  });
});
