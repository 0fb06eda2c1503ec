import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Directory, SupportQueue } from '../../app/ports';
import type { Identity, Role, System } from '../../domain/directory';
import { batchGet, batchPut, isStorableKey, queryAll, tableKeyOf, withoutKeys } from './client';
import { type Keys, keys, type PartitionName, partitionQuery } from './table';

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
    const members = await queryAll(this.db, { TableName: this.tableName, ...partitionQuery('role', role) });
    const identities = await this.read<Identity>(
      members.map((member) => keys.identityId(String(member.identityId))),
    );
    // A membership item outlives a role taken away by a later import: the identity itself decides.
    return identities.filter((identity) => identity.roles.includes(role));
  }

  async directReportsOf(managerId: string): Promise<Identity[]> {
    return this.itemsIn<Identity>('manager', managerId);
  }

  async serviceAccountsOwnedBy(ownerId: string): Promise<Identity[]> {
    return this.itemsIn<Identity>('owner', ownerId);
  }

  async isEmpty(): Promise<boolean> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({ TableName: this.tableName, ...partitionQuery('directory', ''), Limit: 1 }),
    );
    return Items.length === 0;
  }

  async allIdentities(): Promise<Identity[]> {
    return this.itemsIn<Identity>('directory', '');
  }

  async system(id: string): Promise<System | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.systemId(id) }),
    );
    return Item ? withoutKeys<System>(Item) : undefined;
  }

  async catalog(): Promise<System[]> {
    return this.itemsIn<System>('catalog', '');
  }

  async supportQueues(): Promise<SupportQueue[]> {
    return this.itemsIn<SupportQueue>('queues', '');
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

  /** The items of an index partition: its keys from the index, the items themselves from the table. */
  private async itemsIn<T>(partition: PartitionName, value: string): Promise<T[]> {
    const entries = await queryAll(this.db, {
      TableName: this.tableName,
      ...partitionQuery(partition, value),
    });
    return this.read<T>(entries.map(tableKeyOf));
  }

  private async read<T>(itemKeys: Keys[]): Promise<T[]> {
    return (await batchGet(this.db, this.tableName, itemKeys)).map((item) => withoutKeys<T>(item));
  }
}
