import { table } from '../functions/adapters/dynamodb/table';
import { LAMBDA_MEMORY_MB } from '../lib/lambda-sizing';
import type { PerTicket } from './lifecycle';

/** A list price in USD per unit, as its pricing page states it. */
export interface Price {
  usd: number;
  text: string;
  source: string;
}

/**
 * us-east-1 list prices as published on each service's pricing page in January 2025, written here by hand: the
 * bench fetches nothing. Free tiers are left out.
 */
export const PRICES_AS_OF = 'January 2025';
export const PRICES = {
  stateTransition: {
    usd: 0.025 / 1000,
    text: 'Step Functions Standard: $0.025 per 1,000 state transitions',
    source: 'https://aws.amazon.com/step-functions/pricing/',
  },
  lambdaRequest: {
    usd: 0.2 / 1_000_000,
    text: 'Lambda: $0.20 per million requests',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  lambdaGbSecond: {
    usd: 0.0000133334,
    text: 'Lambda on arm64: $0.0000133334 per GB-second (first tier)',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  writeRequestUnit: {
    usd: 0.625 / 1_000_000,
    text: 'DynamoDB on demand: $0.625 per million write request units',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  readRequestUnit: {
    usd: 0.125 / 1_000_000,
    text: 'DynamoDB on demand: $0.125 per million read request units',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  apiRequest: {
    usd: 1 / 1_000_000,
    text: 'API Gateway HTTP API: $1.00 per million requests (first 300 million a month)',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
  },
  email: {
    usd: 0.1 / 1000,
    text: 'SES: $0.10 per 1,000 emails, each recipient counting as one',
    source: 'https://aws.amazon.com/ses/pricing/',
  },
} satisfies Record<string, Price>;

/** What the measured counts do not tell: stated next to the figure. */
export const ASSUMPTIONS = {
  lambdaMemoryMb: LAMBDA_MEMORY_MB,
  /** Milliseconds billed per invocation: each handler makes a few DynamoDB calls of a few ms each. */
  lambdaMs: 100,
};

/** Issue 5's targets per access ticket. */
export const TARGETS = { stateTransitions: 20, costUsd: 0.001 };

export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  cost: number;
}

export interface CostEstimate {
  lines: CostLine[];
  total: number;
  /** ceil(ticket KiB / 4): the read request units of one strongly consistent read of the ticket item. */
  unitsPerRead: number;
  targets: {
    stateTransitions: { value: number; target: number; pass: boolean };
    costUsd: { value: number; target: number; pass: boolean };
  };
}

/**
 * The AWS bill of one ticket implied by its measured counts. DynamoDB writes are billed in the write units the
 * local store tallied as DynamoDB bills them (functions/local/dynamodb.ts), on the table and on its indexes.
 * Every read is charged as a strongly consistent read of the ticket item: the ticket is the largest item, so
 * that line is an upper bound.
 */
export function costPerTicket(counts: PerTicket): CostEstimate {
  const unitsPerRead = Math.ceil(counts.ticketBytes / 4096);
  const invocations = counts.workflowInvocations + counts.httpInvocations;
  const gbSeconds = invocations * (ASSUMPTIONS.lambdaMemoryMb / 1024) * (ASSUMPTIONS.lambdaMs / 1000);
  const line = (item: string, quantity: number, unit: string, price: Price): CostLine => ({
    item,
    quantity: Math.round(quantity * 10_000) / 10_000,
    unit,
    unitPrice: price.usd,
    cost: quantity * price.usd,
  });
  const lines = [
    line('Step Functions Standard', counts.stateTransitions, 'state transitions', PRICES.stateTransition),
    line('Lambda requests', invocations, 'invocations', PRICES.lambdaRequest),
    line(
      `Lambda duration (${ASSUMPTIONS.lambdaMemoryMb} MB arm64, ${ASSUMPTIONS.lambdaMs} ms each)`,
      gbSeconds,
      'GB-s',
      PRICES.lambdaGbSecond,
    ),
    line('DynamoDB table writes', counts.writeUnits.table, 'WRU', PRICES.writeRequestUnit),
    line(
      `DynamoDB index writes (${table.indexes.length} indexes)`,
      counts.writeUnits.indexes,
      'WRU',
      PRICES.writeRequestUnit,
    ),
    line('DynamoDB reads', counts.reads * unitsPerRead, 'RRU', PRICES.readRequestUnit),
    line('API Gateway HTTP API', counts.httpInvocations, 'requests', PRICES.apiRequest),
    line('SES', counts.emails, 'emails', PRICES.email),
  ];
  const total = lines.reduce((sum, { cost }) => sum + cost, 0);
  return {
    lines,
    total,
    unitsPerRead,
    targets: {
      stateTransitions: {
        value: counts.stateTransitions,
        target: TARGETS.stateTransitions,
        pass: counts.stateTransitions < TARGETS.stateTransitions,
      },
      costUsd: { value: total, target: TARGETS.costUsd, pass: total < TARGETS.costUsd },
    },
  };
}
