import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synth } from './synth';

/**
 * The properties that give a resource a name which must be unique in an account and region (or in a
 * schedule group, or across AWS for a Cognito domain prefix), by resource type. Names CloudFormation
 * generates (functions, roles, the table, the user pool, log groups without a name) are unique already.
 */
const uniqueNames: Record<string, string[]> = {
  'AWS::StepFunctions::StateMachine': ['StateMachineName'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::Scheduler::Schedule': ['Name'],
  'AWS::Cognito::UserPoolDomain': ['Domain'],
  'AWS::SES::ConfigurationSet': ['Name'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::DynamoDB::Table': ['TableName'],
  'AWS::IAM::Role': ['RoleName'],
  'AWS::IAM::ManagedPolicy': ['ManagedPolicyName'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::Cognito::UserPool': ['UserPoolName'],
};

/** Name properties that need not be unique: another deployment may use the same value. */
const sharedNames: Record<string, string[]> = {
  // An API's name is a label; its id and endpoint are its own.
  'AWS::ApiGatewayV2::Api': ['Name'],
  // Each API has its own `$default` stage.
  'AWS::ApiGatewayV2::Stage': ['StageName'],
  // A client's name is unique only within its user pool, which is the deployment's own.
  'AWS::Cognito::UserPoolClient': ['ClientName'],
  // The policy CDK attaches to a role is named within that role.
  'AWS::IAM::Policy': ['PolicyName'],
  // A schedule's group: every schedule lives in the account's default group.
  'AWS::Scheduler::Schedule': ['GroupName'],
  // An authorizer's name is unique only within its API.
  'AWS::ApiGatewayV2::Authorizer': ['Name'],
  // Names the function the permission is on: a reference, not a name it takes.
  'AWS::Lambda::Permission': ['FunctionName'],
};

/** Every name a deployment takes in its account and region: unique-name properties and CloudFormation exports. */
function physicalNames(templates: Template[]): { names: string[]; unclassified: string[] } {
  const names: string[] = [];
  const unclassified: string[] = [];
  for (const template of templates) {
    const { Resources, Outputs } = template.toJSON() as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
      Outputs?: Record<string, { Export?: { Name: unknown } }>;
    };
    for (const [id, resource] of Object.entries(Resources)) {
      for (const [property, value] of Object.entries(resource.Properties ?? {})) {
        if (uniqueNames[resource.Type]?.includes(property)) names.push(JSON.stringify(value));
        else if (/Name$|^Domain$/.test(property) && !sharedNames[resource.Type]?.includes(property)) {
          unclassified.push(`${id} (${resource.Type}).${property}`);
        }
      }
    }
    for (const output of Object.values(Outputs ?? {})) {
      if (output.Export) names.push(JSON.stringify(output.Export.Name));
    }
  }
  return { names, unclassified };
}

describe('the stack prefix', () => {
  it('names both stacks, so two deployments can share an account and region', () => {
    // Act
    const { stacks } = synth({ context: { stackPrefix: 'Staging' } });

    // Assess
    expect([stacks.stateful.stackName, stacks.stateless.stackName]).toEqual([
      'Staging-Stateful',
      'Staging-Stateless',
    ]);
  });

  it('leads every name a deployment takes in its account and region, so no two deployments take the same', () => {
    // Prepare
    const production = synth();
    const staging = synth({ context: { stackPrefix: 'Staging' } });

    // Act
    const taken = physicalNames(Object.values(production.templates));
    const takenByStaging = physicalNames(Object.values(staging.templates));

    // Assess
    expect(taken.unclassified).toEqual([]);
    expect(taken.names.length).toBeGreaterThan(3);
    expect(taken.names.filter((name) => takenByStaging.names.includes(name))).toEqual([]);
    for (const name of takenByStaging.names) expect(name).toMatch(/Staging-/);
  });
});
