/**
 * THE single-table schema: the CDK table, the local store's bootstrap and every query read this
 * module, so keys and indexes are defined exactly once.
 *
 * | item                 | pk                     | sk                  | gsi1 (pk / sk)               | gsi2 (pk / sk)              | gsi3 (pk / sk)          |
 * |----------------------|------------------------|---------------------|------------------------------|-----------------------------|-------------------------|
 * | ticket               | TICKET#{id}            | TICKET              | REQUESTER#{id} / {ticketId}  | BENEFICIARY#{id} / {ticketId} | STATUS#{status} / {ticketId} |
 * | identity             | IDENTITY#{id}          | IDENTITY            | MANAGER#{managerId} / {id}   | OWNER#{ownerId} / {id}      | DIRECTORY / {id}        |
 * | role membership      | ROLE#{role}            | IDENTITY#{id}       |                              |                             |                         |
 * | system (+ entitlements inside) | SYSTEM#{id}  | SYSTEM              |                              |                             | CATALOG / {id}          |
 * | support queue        | QUEUE#{id}             | QUEUE               |                              |                             | QUEUES / {id}           |
 * | idempotency record   | IDEMPOTENCY#{caller}#{key} | IDEMPOTENCY     |                              |                             |                         |
 * | task (a wait)        | TASK#{taskId}          | TASK                |                              |                             |                         |
 * | assignment           | ASSIGNEE#{identity}    | {kind}#{taskId}     |                              |                             |                         |
 * | viewer (derived)     | VIEWER#{identity}      | {ticketId}          |                              |                             |                         |
 * | link                 | LINK#{sha256(token)}   | LINK                |                              |                             |                         |
 * | grant                | GRANT#{id}             | GRANT               | HOLDER#{holder} / {id}       | GRANTED#{system} / {id}     | GRANTS / {until}#{id}   |
 *
 * Ticket ids are ULIDs, so sorting an index by ticket id descending lists newest first.
 */
export const table = {
  logicalName: 'Tickets',
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB deletes the item (on items that should expire). */
  timeToLiveAttribute: 'ttl',
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
  ],
} as const;

export type IndexName = (typeof table.indexes)[number]['name'];

export interface Keys {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
  gsi2pk?: string;
  gsi2sk?: string;
  gsi3pk?: string;
  gsi3sk?: string;
}

export const keys = {
  ticket: (ticket: { id: string; requester: string; beneficiary: string; status: string }): Keys => ({
    pk: `TICKET#${ticket.id}`,
    sk: 'TICKET',
    gsi1pk: `REQUESTER#${ticket.requester}`,
    gsi1sk: ticket.id,
    gsi2pk: `BENEFICIARY#${ticket.beneficiary}`,
    gsi2sk: ticket.id,
    gsi3pk: `STATUS#${ticket.status}`,
    gsi3sk: ticket.id,
  }),
  ticketId: (id: string) => ({ pk: `TICKET#${id}`, sk: 'TICKET' }),
  identity: (identity: { id: string; managerId: string | null; ownerId: string | null }): Keys => ({
    pk: `IDENTITY#${identity.id}`,
    sk: 'IDENTITY',
    ...(identity.managerId ? { gsi1pk: `MANAGER#${identity.managerId}`, gsi1sk: identity.id } : {}),
    ...(identity.ownerId ? { gsi2pk: `OWNER#${identity.ownerId}`, gsi2sk: identity.id } : {}),
    gsi3pk: 'DIRECTORY',
    gsi3sk: identity.id,
  }),
  identityId: (id: string) => ({ pk: `IDENTITY#${id}`, sk: 'IDENTITY' }),
  roleMembership: (role: string, identityId: string): Keys => ({
    pk: `ROLE#${role}`,
    sk: `IDENTITY#${identityId}`,
  }),
  system: (id: string): Keys => ({ pk: `SYSTEM#${id}`, sk: 'SYSTEM', gsi3pk: 'CATALOG', gsi3sk: id }),
  systemId: (id: string) => ({ pk: `SYSTEM#${id}`, sk: 'SYSTEM' }),
  supportQueue: (id: string): Keys => ({ pk: `QUEUE#${id}`, sk: 'QUEUE', gsi3pk: 'QUEUES', gsi3sk: id }),
  idempotency: (caller: string, key: string) => ({ pk: `IDEMPOTENCY#${caller}#${key}`, sk: 'IDEMPOTENCY' }),
  task: (id: string) => ({ pk: `TASK#${id}`, sk: 'TASK' }),
  assignment: (identityId: string, kind: string, taskId: string) => ({
    pk: `ASSIGNEE#${identityId}`,
    sk: `${kind}#${taskId}`,
  }),
  link: (hash: string) => ({ pk: `LINK#${hash}`, sk: 'LINK' }),
  viewer: (identityId: string, ticketId: string) => ({ pk: `VIEWER#${identityId}`, sk: ticketId }),
  grant: (grant: { id: string; holder: string; system: string; until: string }): Keys => ({
    pk: `GRANT#${grant.id}`,
    sk: 'GRANT',
    gsi1pk: `HOLDER#${grant.holder}`,
    gsi1sk: grant.id,
    gsi2pk: `GRANTED#${grant.system}`,
    gsi2sk: grant.id,
    gsi3pk: 'GRANTS',
    gsi3sk: `${grant.until}#${grant.id}`,
  }),
};

/** Which index serves each ticket partition of the TicketStore port. */
export const ticketPartitionIndex = {
  requester: { index: 'gsi1', prefix: 'REQUESTER#' },
  beneficiary: { index: 'gsi2', prefix: 'BENEFICIARY#' },
  status: { index: 'gsi3', prefix: 'STATUS#' },
} as const satisfies Record<string, { index: IndexName; prefix: string }>;

/** Attribute definitions and key schemas in the shape of CreateTable, for the local bootstrap. */
export function createTableInput(tableName: string) {
  const attributeNames = [
    table.partitionKey,
    table.sortKey,
    ...table.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: attributeNames.map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: table.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: table.indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}
