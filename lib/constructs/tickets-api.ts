import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Route } from '../../functions/routes';
import { handlerId } from './handler-function';

export interface TicketsApiProps {
  userPool: IUserPool;
  userPoolClient: IUserPoolClient;
  logRetention: RetentionDays;
  customDomain?: { name: string; certificateArn: string };
}

/** A route as the gateway serves it: one of the route table, or the HEAD mirror of one (see `gatewayRoutes`). */
export interface GatewayRoute {
  method: Route['method'] | 'HEAD';
  path: string;
  handler: string;
  auth: Route['auth'];
}

/**
 * The routes of the route table, plus a HEAD route for every public GET route. An HTTP API matches
 * a request's method exactly (only ANY is a wildcard), so a HEAD is not served by the GET route, and
 * mail scanners send HEAD to the links in emails before anyone clicks. The local server answers HEAD
 * on every GET route; in AWS the routes behind a JWT are left without one, as no scanner holds a token.
 */
export const gatewayRoutes = (routes: Route[]): GatewayRoute[] =>
  routes.flatMap((route): GatewayRoute[] => {
    const { method, path, handler, auth } = route;
    // The console's public routes (sign-in, assets) are never in an email: no scanner fetches them.
    return method === 'GET' && auth === 'none' && !handler.startsWith('pages/')
      ? [
          { method, path, handler, auth },
          { method: 'HEAD', path, handler, auth },
        ]
      : [{ method, path, handler, auth }];
  });

/** Steady requests per second, and the burst above it, that the stage lets through before answering 429. */
const THROTTLE = { rateLimit: 50, burstLimit: 100 };
/** The same for each webhook route: integrations send in bursts, but far fewer than people click. */
const WEBHOOK_THROTTLE = { rateLimit: 20, burstLimit: 40 };

/**
 * Access log fields. The route key, not the path: a link page's path carries its token, which is a
 * credential and must not end up in logs.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};

/**
 * The HTTP API: one `$default` stage with access logs and throttling, the Cognito JWT authorizer,
 * and the routes of the route table. The API exists before the functions (they are told its URL
 * for emailed links), so routes are added afterwards with `serve`.
 */
export class TicketsApi extends Construct {
  readonly httpApi: HttpApi;
  /** The URL clients and emailed links use: the custom domain when there is one. */
  readonly url: string;
  readonly domainName?: DomainName;
  private readonly authorizer: HttpUserPoolAuthorizer;
  private readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: TicketsApiProps) {
    super(scope, id);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Tollgate access requests',
      // The stage is made below, with the access logs and throttling the default one lacks.
      createDefaultStage: false,
    });
    this.authorizer = new HttpUserPoolAuthorizer('CognitoJwt', props.userPool, {
      userPoolClients: [props.userPoolClient],
    });

    if (props.customDomain) {
      this.domainName = new DomainName(this, 'DomainName', {
        domainName: props.customDomain.name,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
      });
    }
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
      ...(this.domainName ? { domainMapping: { domainName: this.domainName } } : {}),
    });
    this.url = props.customDomain ? `https://${props.customDomain.name}` : this.httpApi.apiEndpoint;
  }

  /**
   * Adds the routes (with their HEAD mirrors, see `gatewayRoutes`), each to the function of its
   * handler module, with the JWT authorizer where `auth` is `jwt`.
   */
  serve(routes: Route[], functionFor: (handler: string) => IFunction): void {
    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of gatewayRoutes(routes)) {
      let integration = integrations.get(route.handler);
      if (!integration) {
        // One invoke permission per function, for this API only, rather than one per route: the
        // function serves only the routes mapped to it, and CloudFormation stops at 500 resources a stack.
        integration = new HttpLambdaIntegration(
          `${handlerId(route.handler)}Integration`,
          functionFor(route.handler),
          { scopePermissionToRoute: false },
        );
        integrations.set(route.handler, integration);
      }
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer: route.auth === 'jwt' ? this.authorizer : new HttpNoneAuthorizer(),
      });
      if (route.auth !== 'jwt' && created) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            route.auth === 'session'
              ? `${route.method} ${route.path} has auth: session in the route table: a console page, whose handler checks the session cookie (the JWT authorizer reads no cookies).`
              : route.auth === 'signature'
                ? `${route.method} ${route.path} has auth: signature in the route table: its handler verifies the Standard Webhooks signature with the integration's secret, not the gateway.`
                : `${route.method} ${route.path} has auth: none in the route table: it is public (the API description), or its handler authenticates the request itself (an emailed link's token, the sign-in flow's state), not the gateway.`,
        });
      }
      if (route.auth === 'signature') {
        // Anyone can reach an unauthenticated route: a tighter limit of its own keeps a flood of
        // unsigned posts from using up the API's.
        (this.stage.node.defaultChild as CfnStage).addPropertyOverride(
          `RouteSettings.${route.method} ${route.path}`,
          {
            ThrottlingRateLimit: WEBHOOK_THROTTLE.rateLimit,
            ThrottlingBurstLimit: WEBHOOK_THROTTLE.burstLimit,
          },
        );
      }
    }
  }
}
