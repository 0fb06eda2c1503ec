import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Directory, SupportQueue } from '../../app/ports';
import type { Identity, Role, System } from '../../domain/directory';
import { batchPut, isStorableKey, withoutKeys } from './client';
import { keys } from './table';

/** Directory and catalog live in the ticket table, each read by one named query. */
export class DynamoDirectory implements Directory {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async identity(id: string): Promise<Identity | undefined> {
    if (!isStorableKey(keys.identityId(id))) return undefined;
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.identityId(id) }),
    );
    return Item ? withoutKeys<Identity>(Item) : undefined;
  }

  async identitiesWithRole(role: Role): Promise<Identity[]> {
    const members = await this.queryAll({ pk: `ROLE#${role}` });
    const identities = await Promise.all(members.map((member) => this.identity(String(member.identityId))));
    // A membership item outlives a role taken away by a later import: the identity itself decides.
    return identities.filter((identity): identity is Identity => identity?.roles.includes(role) ?? false);
  }

  async directReportsOf(managerId: string): Promise<Identity[]> {
    return (await this.queryAll({ index: 'gsi1', pk: `MANAGER#${managerId}` })).map((item) =>
      withoutKeys<Identity>(item),
    );
  }

  async serviceAccountsOwnedBy(ownerId: string): Promise<Identity[]> {
    return (await this.queryAll({ index: 'gsi2', pk: `OWNER#${ownerId}` })).map((item) =>
      withoutKeys<Identity>(item),
    );
  }

  async isEmpty(): Promise<boolean> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi3',
        KeyConditionExpression: 'gsi3pk = :pk',
        ExpressionAttributeValues: { ':pk': 'DIRECTORY' },
        Limit: 1,
      }),
    );
    return Items.length === 0;
  }

  async allIdentities(): Promise<Identity[]> {
    return (await this.queryAll({ index: 'gsi3', pk: 'DIRECTORY' })).map((item) =>
      withoutKeys<Identity>(item),
    );
  }

  async system(id: string): Promise<System | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.systemId(id) }),
    );
    return Item ? withoutKeys<System>(Item) : undefined;
  }

  async catalog(): Promise<System[]> {
    return (await this.queryAll({ index: 'gsi3', pk: 'CATALOG' })).map((item) => withoutKeys<System>(item));
  }

  async supportQueues(): Promise<SupportQueue[]> {
    return (await this.queryAll({ index: 'gsi3', pk: 'QUEUES' })).map((item) =>
      withoutKeys<SupportQueue>(item),
    );
  }

  /** Writes identities (with their role memberships), systems and queues; used by seeding and imports. */
  async put(entries: {
    identities?: Identity[];
    systems?: System[];
    queues?: SupportQueue[];
  }): Promise<void> {
    const items = [
      ...(entries.identities ?? []).flatMap((identity) => [
        { ...keys.identity(identity), ...identity },
        ...identity.roles.map((role) => ({
          ...keys.roleMembership(role, identity.id),
          identityId: identity.id,
        })),
      ]),
      ...(entries.systems ?? []).map((system) => ({ ...keys.system(system.id), ...system })),
      ...(entries.queues ?? []).map((queue) => ({ ...keys.supportQueue(queue.id), ...queue })),
    ];
    await batchPut(this.db, this.tableName, items);
  }

  private async queryAll(query: {
    index?: 'gsi1' | 'gsi2' | 'gsi3';
    pk: string;
  }): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: query.index,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': query.index ? `${query.index}pk` : 'pk' },
          ExpressionAttributeValues: { ':pk': query.pk },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
