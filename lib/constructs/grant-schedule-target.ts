import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { schedulerPrincipal } from './handler-schedules';

export interface GrantScheduleTargetProps {
  /** The grant-revocation state machine, which each grant's schedule starts an execution of. */
  revocationStateMachineArn: string;
}

/**
 * What a grant's schedule needs at the target end: the role Scheduler assumes to start the
 * revocation (StartExecution on the revocation state machine and nothing else), and the queue that
 * receives the schedule's event when Scheduler could not start it even after retrying. The
 * functions that create the schedules are told both ARNs; the schedules themselves are created at
 * run time, one per grant, and delete themselves once fired.
 */
export class GrantScheduleTarget extends Construct {
  readonly role: Role;
  readonly deadLetterQueue: Queue;
  /** The schedules' ARNs, `schedule/default/grant-*`: what the functions may create, update, delete. */
  readonly schedulesArn: string;

  constructor(scope: Construct, id: string, props: GrantScheduleTargetProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // One per time-bound grant, `grant-<grant id>` in the default group (functions/adapters/scheduler.ts).
    this.schedulesArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: 'default/grant-*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // SQS's longest: an undelivered revocation is looked into, and the sweep starts it meanwhile.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the grant schedules; nothing consumes it but an operator, so it has no dead-letter queue of its own.',
    });

    this.role = new Role(this, 'Role', {
      description: 'Assumed by EventBridge Scheduler when a grant schedule fires: starts its revocation',
      assumedBy: schedulerPrincipal(stack),
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [props.revocationStateMachineArn],
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
  }
}
