import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { workflowTasks } from '../../functions/workflow';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The `${Name}` placeholders an ASL file leaves for the deployment to fill, each once, sorted. */
export const placeholdersOf = (definition: string): string[] =>
  [...new Set([...definition.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1] as string))].sort();

/**
 * The state machine's name in AWS, `<stack name>-<name in functions/workflow.ts>`. The functions
 * are told the state machine's ARN built from this name (see `stateMachineArnFor`), because the
 * task functions the state machine invokes read that ARN too: a reference to the state machine
 * itself in their environment would make each wait for the other (a dependency cycle).
 */
export const stateMachineNameFor = (stack: Stack, name: string): string => `${stack.stackName}-${name}`;

export const stateMachineArnFor = (stack: Stack, name: string): string =>
  stack.formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: stateMachineNameFor(stack, name),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });

/** Every execution of the state machine: `arn:...:execution:<state machine name>:*`. */
export const executionArnsFor = (stack: Stack, name: string): string =>
  stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachineNameFor(stack, name)}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });

export interface WorkflowStateMachineProps {
  /** The name functions/workflow.ts gives the state machine. */
  name: string;
  /** The ASL file, relative to the project root. */
  definitionFile: string;
  /** The function of a task's handler module, for the placeholders the ASL file names. */
  functionFor: (handler: string) => IFunction;
  logRetention: RetentionDays;
}

/**
 * A Standard state machine from its ASL file, as the local runner executes it: each `${Name}`
 * placeholder becomes the ARN of the function of the task that functions/workflow.ts lists under
 * that placeholder. Every event is logged, without execution data (inputs and outputs carry task
 * tokens and ticket content), and traced with X-Ray. Its role may invoke exactly its task functions.
 */
export class WorkflowStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  /** The ARN the functions are configured and granted with: the same as the state machine's own. */
  readonly arn: string;
  /** The task functions the definition invokes, by placeholder. */
  readonly taskFunctions: ReadonlyMap<string, IFunction>;

  constructor(scope: Construct, id: string, props: WorkflowStateMachineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const definition = readFileSync(`${PROJECT_ROOT}${props.definitionFile}`, 'utf8');
    const placeholders = placeholdersOf(definition);
    const unknown = placeholders.filter((name) => !workflowTasks.some((task) => task.placeholder === name));
    if (unknown.length > 0) {
      throw new Error(
        `${props.definitionFile} names ${unknown.map((name) => `\${${name}}`).join(', ')}, which no task in functions/workflow.ts fills`,
      );
    }
    this.taskFunctions = new Map(
      workflowTasks
        .filter((task) => placeholders.includes(task.placeholder))
        .map((task) => [task.placeholder, props.functionFor(task.handler)]),
    );

    const logGroup = new LogGroup(this, 'Logs', {
      // The prefix AWS recommends for vended logs: it keeps the log group's resource policy small.
      logGroupName: `/aws/vendedlogs/states/${stateMachineNameFor(stack, props.name)}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: stateMachineNameFor(stack, props.name),
      stateMachineType: StateMachineType.STANDARD,
      // From the string, not fromFile: fromFile stores it as an asset that template tests cannot read.
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: Object.fromEntries(
        [...this.taskFunctions].map(([placeholder, fn]) => [placeholder, fn.functionArn]),
      ),
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // Not grantInvoke: that adds `<arn>:*` (every version and alias); the ASL invokes the unqualified ARN.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [...this.taskFunctions.values()].map((fn) => fn.functionArn),
      }),
    );
    this.arn = stateMachineArnFor(stack, props.name);

    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (!policy) throw new Error('The state machine role has no default policy to acknowledge');
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Resource * only for what has no narrower resource: the CloudWatch Logs log-delivery actions that Step Functions logging needs, and the X-Ray trace-writing actions (AWS documents both with Resource *).',
    });
  }
}
