import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedRoutes, routes } from '../../functions/routes';
import { schedules } from '../../functions/schedules';
import { workflowTasks } from '../../functions/workflow';
import { gatewayRoutes } from '../../lib/constructs/tickets-api';
import { needsOf } from '../../lib/handler-needs';
import { resourcesOfType, synth } from './synth';

describe('the stateless stack', () => {
  let templates: ReturnType<typeof synth>['templates'];
  let stacks: ReturnType<typeof synth>['stacks'];
  beforeAll(() => {
    ({ templates, stacks } = synth());
  });

  it('has a route for every deployed route of the route table and a HEAD for each public GET, each served by its handler module', () => {
    // Prepare
    const apiRoutes = resourcesOfType(templates.stateless, 'AWS::ApiGatewayV2::Route');
    const integrations = resourcesOfType(templates.stateless, 'AWS::ApiGatewayV2::Integration');

    // Act
    const served = Object.values(apiRoutes).map((route) => {
      const target = route.Properties.Target as { 'Fn::Join': [string, unknown[]] };
      const integrationId = (target['Fn::Join'][1][1] as { Ref: string }).Ref;
      const uri = integrations[integrationId]?.Properties.IntegrationUri as {
        'Fn::GetAtt': [string, string];
      };
      return { routeKey: route.Properties.RouteKey, functionId: uri['Fn::GetAtt'][0] };
    });

    // Assess
    expect(served.map((route) => route.routeKey).sort()).toEqual(
      gatewayRoutes(deployedRoutes())
        .map((route) => `${route.method} ${route.path}`)
        .sort(),
    );
    for (const route of gatewayRoutes(deployedRoutes())) {
      const fn = stacks.stateless.functions.get(route.handler)?.function.node.defaultChild as CfnElement;
      expect(served).toContainEqual({
        routeKey: `${route.method} ${route.path}`,
        functionId: stacks.stateless.getLogicalId(fn),
      });
    }
  });

  it('puts the Cognito JWT authorizer on every jwt route and none on the others', () => {
    // Prepare
    const authorizers = resourcesOfType(templates.stateless, 'AWS::ApiGatewayV2::Authorizer');
    const [authorizerId] = Object.keys(authorizers);
    const byKey = new Map(
      Object.values(resourcesOfType(templates.stateless, 'AWS::ApiGatewayV2::Route')).map((route) => [
        route.Properties.RouteKey,
        route.Properties,
      ]),
    );

    // Act
    const authorization = gatewayRoutes(deployedRoutes()).map((route) => {
      const properties = byKey.get(`${route.method} ${route.path}`);
      return {
        route: `${route.method} ${route.path}`,
        type: properties?.AuthorizationType,
        by: properties?.AuthorizerId,
      };
    });

    // Assess
    expect(Object.keys(authorizers)).toHaveLength(1);
    expect(authorization).toEqual(
      gatewayRoutes(deployedRoutes()).map((route) => ({
        route: `${route.method} ${route.path}`,
        type: route.auth === 'jwt' ? 'JWT' : 'NONE',
        by: route.auth === 'jwt' ? { Ref: authorizerId } : undefined,
      })),
    );
  });

  it('makes the authorizer accept ID tokens of the user pool for its app client only', () => {
    // Act
    const [authorizer] = Object.values(resourcesOfType(templates.stateless, 'AWS::ApiGatewayV2::Authorizer'));

    // Assess
    const jwt = authorizer?.Properties.JwtConfiguration as { Issuer: unknown; Audience: unknown[] };
    expect(authorizer?.Properties.AuthorizerType).toBe('JWT');
    expect(JSON.stringify(jwt.Issuer)).toMatch(
      /https:\/\/cognito-idp\..*Tollgate-Stateful:ExportsOutputRefUsers/,
    );
    expect(jwt.Audience).toHaveLength(1);
    expect(JSON.stringify(jwt.Audience[0])).toMatch(/Tollgate-Stateful:ExportsOutputRefUsersApiClient/);
  });

  it('deploys no local-only route', () => {
    // Prepare
    const localOnly = routes.filter((route) => route.localOnly);

    // Act
    const routeKeys = Object.values(resourcesOfType(templates.stateless, 'AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey as string,
    );

    // Assess
    expect(localOnly.length).toBeGreaterThan(0);
    expect(routeKeys.filter((key) => key.split(' ')[1]?.startsWith('/dev/'))).toEqual([]);
  });

  it('logs every request on the stage, without paths, and throttles it', () => {
    // Act
    const stages = Object.values(resourcesOfType(templates.stateless, 'AWS::ApiGatewayV2::Stage'));

    // Assess
    expect(stages).toHaveLength(1);
    const stage = stages[0]?.Properties as Record<string, { [key: string]: unknown }>;
    expect(stage.StageName).toBe('$default');
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const format = JSON.parse(stage.AccessLogSettings?.Format as string);
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey' });
    // A link page's path carries its token.
    expect(JSON.stringify(format)).not.toContain('$context.path');
  });

  it('answers HEAD on the emailed links, which mail scanners fetch before anyone clicks', () => {
    // Act
    const routeKeys = Object.values(resourcesOfType(templates.stateless, 'AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey,
    );

    // Assess
    // Only the routes without a token: the links, and the public API description; not the console's
    // sign-in and assets, which no email names.
    expect(routeKeys).toContain('HEAD /a/{token}');
    expect(routeKeys.filter((key) => String(key).startsWith('HEAD ')).sort()).toEqual(
      deployedRoutes()
        .filter(
          (route) => route.method === 'GET' && route.auth === 'none' && !route.handler.startsWith('pages/'),
        )
        .map((route) => `HEAD ${route.path}`)
        .sort(),
    );
  });

  it('runs one arm64 nodejs22.x function per handler module (routes, workflow tasks, schedules), with its own log group', () => {
    // Prepare
    const handlers = new Set([
      ...deployedRoutes().map((route) => route.handler),
      ...workflowTasks.map((task) => task.handler),
      ...schedules.map((schedule) => schedule.handler),
    ]);

    // Act
    const functions = Object.values(resourcesOfType(templates.stateless, 'AWS::Lambda::Function'));

    // Assess
    expect(functions).toHaveLength(handlers.size);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      expect(fn.Properties.LoggingConfig).toMatchObject({ LogGroup: { Ref: expect.any(String) } });
    }
  });

  it('configures the functions as functions/config.ts reads it, with the signing secret by ARN only, and only where it is read', () => {
    // Act
    const functions = resourcesOfType(templates.stateless, 'AWS::Lambda::Function');
    const environments = [...stacks.stateless.functions].map(([handler, fn]) => ({
      handler,
      variables:
        (
          functions[stacks.stateless.getLogicalId(fn.function.node.defaultChild as CfnElement)]?.Properties
            .Environment as { Variables: Record<string, unknown> } | undefined
        )?.Variables ?? {},
    }));

    // Assess
    expect(environments).toHaveLength(Object.keys(functions).length);
    for (const { handler, variables } of environments) {
      if (needsOf(handler).signingSecret) {
        expect(variables, handler).toMatchObject({
          SIGNING_SECRET_ARN: { Ref: expect.stringMatching(/^SigningSecret/) },
        });
      } else {
        expect(variables, handler).not.toHaveProperty('SIGNING_SECRET_ARN');
      }
      expect(variables).toMatchObject({
        TABLE_NAME: expect.anything(),
        CALLER_CLAIM: 'email',
        STATE_MACHINE_ARN: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':states:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':stateMachine:Tollgate-Stateless-access-request',
            ],
          ],
        },
        SENDER_ADDRESS: 'Tollgate <access@example.org>',
        PUBLIC_BASE_URL: { 'Fn::GetAtt': [expect.stringMatching(/^ApiHttpApi/), 'ApiEndpoint'] },
      });
      expect(variables).not.toHaveProperty('SIGNING_SECRET');
    }
  });

  it('keeps log groups for the configured retention', () => {
    // Act
    const logGroups = Object.values(resourcesOfType(templates.stateless, 'AWS::Logs::LogGroup'));

    // Assess
    expect(logGroups.length).toBeGreaterThan(1);
    for (const logGroup of logGroups) expect(logGroup.Properties.RetentionInDays).toBe(90);
  });
});
