import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { schedules, WEBHOOK_DISPATCH } from '../../functions/schedules';
import { needsOf } from '../../lib/handler-needs';
import { resourcesOfType, synth } from './synth';

/** Webhooks out in the stack: the dispatcher's function and schedule, who may invoke it, the subscribers' secrets. */
describe('webhooks out', () => {
  let synthesized: ReturnType<typeof synth>;
  beforeAll(() => {
    synthesized = synth({
      context: {
        webhookSubscribers: [
          {
            name: 'siem',
            url: 'https://siem.example.org/tollgate',
            events: ['grant.activated', 'grant.ended'],
          },
        ],
      },
    });
  });

  const dispatcherHandler = schedules.find(({ name }) => name === WEBHOOK_DISPATCH)?.handler ?? '';
  const variablesOf = (handler: string): Record<string, unknown> => {
    const { stacks, templates } = synthesized;
    const fn = stacks.stateless.functions.get(handler)?.function;
    if (!fn) throw new Error(`No function for ${handler}`);
    const id = stacks.stateless.getLogicalId(fn.node.defaultChild as CfnElement);
    const resource = resourcesOfType(templates.stateless, 'AWS::Lambda::Function')[id];
    if (!resource) throw new Error(`No function resource ${id}`);
    return (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  };

  it('runs the dispatcher every minute, for two minutes at most', () => {
    // Act
    const { stacks, templates } = synthesized;
    const fn = stacks.stateless.functions.get(dispatcherHandler)?.function;
    const id = stacks.stateless.getLogicalId(fn?.node.defaultChild as CfnElement);

    // Assess
    templates.stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      Target: { Arn: { 'Fn::GetAtt': [id, 'Arn'] } },
    });
    expect(resourcesOfType(templates.stateless, 'AWS::Lambda::Function')[id]?.Properties.Timeout).toBe(120);
  });

  it('names the dispatcher to exactly the functions whose writes hand it events', () => {
    // Prepare
    const { stacks } = synthesized;
    const dispatcher = stacks.stateless.functions.get(dispatcherHandler)?.function;
    const dispatcherId = stacks.stateless.getLogicalId(dispatcher?.node.defaultChild as CfnElement);

    for (const handler of stacks.stateless.functions.keys()) {
      // Act
      const named = variablesOf(handler).WEBHOOK_DISPATCHER_FUNCTION;

      // Assess
      expect(named, handler).toEqual(needsOf(handler).dispatches ? { Ref: dispatcherId } : undefined);
    }
    expect(needsOf('workflow/advance').dispatches).toBe(true);
    expect(needsOf('http/add-comment').dispatches).toBe(false);
  });

  it('gives the functions the subscribers, each with the secret the stack made for it, and no secret value', () => {
    // Act
    const subscribers = variablesOf('workflow/advance').WEBHOOK_SUBSCRIBERS;
    const secrets = resourcesOfType(synthesized.templates.stateless, 'AWS::SecretsManager::Secret');
    const siem = Object.entries(secrets).find(([id]) => id.startsWith('WebhookSubscriberSecretsiem'));

    // Assess
    expect(siem?.[1].Properties.SecretString).toBe('[]');
    expect(subscribers).toEqual({
      'Fn::Join': [
        '',
        [
          '[{"name":"siem","url":"https://siem.example.org/tollgate","events":["grant.activated","grant.ended"],"secretId":"',
          { Ref: siem?.[0] },
          '"}]',
        ],
      ],
    });
  });
});
