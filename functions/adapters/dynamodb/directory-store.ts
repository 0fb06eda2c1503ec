import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DirectoryEntryChangedError } from '../../app/errors';
import type { DirectoryStore, StoredEntry, SupportQueue } from '../../app/ports';
import type { AdminEvent } from '../../domain/audit/admin-events';
import type { Identity, Role, System } from '../../domain/directory';
import {
  batchGet,
  batchPut,
  getByKey,
  isConditionalCheckFailure,
  queryAll,
  tableKeyOf,
  withoutKeys,
} from './client';
import { type Keys, keys, type PartitionName, partitionQuery } from './table';

/**
 * The attribute counting an entry's writes through putIdentity and putSystem: the condition of the
 * next one. Bookkeeping of the store, so reads leave it out.
 */
const REVISION = 'revision';
/** The entry's hash-chained admin events (domain/audit/admin-events.ts): the audit trail's, not the entry's. */
const HISTORY = 'history';

/** Directory and catalog live in the ticket table, each read by one named query. */
export class DynamoDirectory implements DirectoryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async identity(id: string): Promise<Identity | undefined> {
    return (await this.storedIdentity(id))?.entry;
  }

  async storedIdentity(id: string): Promise<StoredEntry<Identity> | undefined> {
    const item = await getByKey(this.db, this.tableName, keys.identityId(id), { consistent: false });
    return item ? stored<Identity>(item) : undefined;
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
    return (await this.storedSystem(id))?.entry;
  }

  async storedSystem(id: string): Promise<StoredEntry<System> | undefined> {
    const item = await getByKey(this.db, this.tableName, keys.systemId(id), { consistent: false });
    return item ? stored<System>(item) : undefined;
  }

  async putIdentity(identity: Identity, revision: number | null, history: AdminEvent[]): Promise<void> {
    await this.putOnRevision(
      { ...keys.identity(identity, history), ...identity, [HISTORY]: history },
      identity.id,
      revision,
    );
    // A membership outlives a role taken away: identitiesWithRole reads the identity's own roles.
    await batchPut(
      this.db,
      this.tableName,
      identity.roles.map((role) => ({ ...keys.roleMembership(role, identity.id), identityId: identity.id })),
    );
  }

  async putSystem(system: System, revision: number | null, history: AdminEvent[]): Promise<void> {
    await this.putOnRevision(
      { ...keys.system(system.id, history), ...system, [HISTORY]: history },
      system.id,
      revision,
    );
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

  /** The whole item, replacing the one read at `revision` (null: none), and counting the write. */
  private async putOnRevision(item: Record<string, unknown>, id: string, revision: number | null) {
    const condition =
      revision === null
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : revision === 0
          ? { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#revision)' }
          : {
              ConditionExpression: '#revision = :revision',
              ExpressionAttributeValues: { ':revision': revision },
            };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...item, [REVISION]: (revision ?? 0) + 1 },
          ...condition,
          ...(revision === null ? {} : { ExpressionAttributeNames: { '#revision': REVISION } }),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new DirectoryEntryChangedError(id);
      throw error;
    }
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
    return (await batchGet(this.db, this.tableName, itemKeys)).map((item) => stored<T>(item).entry);
  }
}

/** An item as the domain knows it, and the revision it was read at. */
function stored<T>(item: Record<string, unknown>): StoredEntry<T> {
  const { [REVISION]: revision, [HISTORY]: history, ...entry } = withoutKeys<Record<string, unknown>>(item);
  return {
    entry: entry as T,
    revision: typeof revision === 'number' ? revision : 0,
    history: Array.isArray(history) ? (history as AdminEvent[]) : [],
  };
}
