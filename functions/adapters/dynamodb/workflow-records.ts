import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  GrantFilter,
  GrantStore,
  LinkRecord,
  LinkStore,
  TaskKind,
  TaskRecord,
  TaskStore,
} from '../../app/ports';
import { ConflictError } from '../../domain/errors';
import type { Grant } from '../../domain/grants';
import { batchGet, getByKey, isConditionalCheckFailure, queryAll, tableKeyOf, withoutKeys } from './client';
import { grantIdsFiledBefore, inboxSort, keyAttributesOf, keys, partitionQuery, withFilter } from './table';

/** Items derived from tickets: each write is a put of a whole record (a grant's, once), so a repeat is harmless. */

export class DynamoTaskStore implements TaskStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(task: TaskRecord): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.task(task.id), ...task } }),
    );
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    const item = await getByKey(this.db, this.tableName, keys.task(id), { consistent: true });
    return item ? withoutKeys<TaskRecord>(item) : undefined;
  }

  /**
   * The person's inbox entries are their links (see DynamoLinkStore.put), each naming its task; a
   * notify step that ran again sent a second link for the same task.
   */
  async forAssignee(identityId: string, kind: TaskKind): Promise<TaskRecord[]> {
    const entries = await queryAll(this.db, {
      TableName: this.tableName,
      ...partitionQuery('inbox', identityId, { op: 'begins_with', value: inboxSort(kind, '') }),
    });
    const taskIds = new Set(entries.map((entry) => String(entry.taskId)));
    const tasks = await batchGet(this.db, this.tableName, [...taskIds].map(keys.task));
    return tasks.map((task) => withoutKeys<TaskRecord>(task));
  }

  /**
   * Takes the task's links out of their recipients' inboxes; the links themselves are kept and
   * answer as before. The index is read to find them, so a repeat finds none and writes nothing.
   * In AWS a link written within the last second may not be in the index yet and stays listed:
   * the inbox leaves out any task whose ticket no longer waits for it.
   */
  async retire(task: TaskRecord): Promise<void> {
    const { partitionKey, sortKey } = keyAttributesOf('inbox');
    const entries = await Promise.all(
      [...new Set(task.assignees)].map((assignee) =>
        queryAll(this.db, {
          TableName: this.tableName,
          ...partitionQuery('inbox', assignee, { op: '=', value: inboxSort(task.kind, task.id) }),
        }),
      ),
    );
    await Promise.all(
      entries.flat().map(async (entry) => {
        try {
          await this.db.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: tableKeyOf(entry),
              UpdateExpression: 'REMOVE #pk, #sk',
              // Without it an update would create an item holding nothing but a key.
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
            }),
          );
        } catch (error) {
          if (!isConditionalCheckFailure(error)) throw error;
        }
      }),
    );
  }

  async addAssignees(taskId: string, identityIds: string[]): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.task(taskId),
          // Only the list: the token and phase that a concurrent notify step writes stay as it wrote them.
          UpdateExpression: 'SET assignees = list_append(assignees, :added)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':added': identityIds },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }
}

export class DynamoLinkStore implements LinkStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The link is also its recipient's inbox entry for the task, until the task retires. */
  async put(link: LinkRecord): Promise<void> {
    // usedAt is left absent, not null, so markUsed's condition lets it be set exactly once.
    const { usedAt, ...unused } = link;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.link(link.hash),
          // Only a task's link is an inbox entry: an offer to extend or a survey waits for nobody.
          ...(link.purpose === 'extend' || link.purpose === 'feedback'
            ? {}
            : keys.inboxEntry(link.identity, link.purpose, link.taskId)),
          ...unused,
        },
      }),
    );
  }

  async get(hash: string): Promise<LinkRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.link(hash), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const link = withoutKeys<LinkRecord>(Item);
    return { ...link, usedAt: link.usedAt ?? null };
  }

  async markUsed(hash: string, at: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.link(hash),
          UpdateExpression: 'SET usedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new ConflictError('This link was already used.');
      throw error;
    }
  }

  async release(hash: string, usedAt: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.link(hash),
          UpdateExpression: 'REMOVE usedAt',
          ConditionExpression: 'usedAt = :at',
          ExpressionAttributeValues: { ':at': usedAt },
        }),
      );
    } catch (error) {
      // Someone else's use in the meantime stays: only our own claim is given back.
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }
}

/** A grant as stored, without its keys and the event count its writes are conditioned on. */
function storedGrant(item: Record<string, unknown>): Grant {
  const { eventCount, ...grant } = withoutKeys<Grant & { eventCount?: number }>(item);
  return grant;
}

export class DynamoGrantStore implements GrantStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(grant: Grant): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.grant(grant), ...grant, eventCount: grant.events.length },
          // A repeated or late step must not put back a grant as it was before it moved on.
          ConditionExpression: 'attribute_not_exists(pk) OR eventCount < :count',
          ExpressionAttributeValues: { ':count': grant.events.length },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  async get(id: string): Promise<Grant | undefined> {
    const item = await getByKey(this.db, this.tableName, keys.grantId(id), { consistent: true });
    return item ? storedGrant(item) : undefined;
  }

  async entitlementsHeldBy(holder: string): Promise<string[]> {
    const entries = await queryAll(this.db, { TableName: this.tableName, ...partitionQuery('held', holder) });
    // The sort key names the entitlement, so the grants themselves need not be read.
    const { sortKey } = keyAttributesOf('held');
    return [...new Set(entries.map((entry) => String(entry[sortKey]).split('#')[1] ?? ''))];
  }

  async activeGrantsOf(holder: string, system: string, entitlement: string): Promise<Grant[]> {
    const entries = await queryAll(this.db, {
      TableName: this.tableName,
      ...partitionQuery('held', holder, { op: 'begins_with', value: `${system}#${entitlement}#` }),
    });
    const found = await batchGet(
      this.db,
      this.tableName,
      entries.map((entry) => tableKeyOf(entry)),
    );
    return found.map((item) => storedGrant(item)).filter((grant) => grant.status === 'active');
  }

  async lastEndedBefore(
    holder: string,
    system: string,
    entitlement: string,
    before: string,
  ): Promise<string | null> {
    const range = `${system}#${entitlement}#`;
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        // `~` sorts after the grant ids that follow an end at exactly `before`.
        ...partitionQuery('endedGrants', holder, { op: 'between', low: range, high: `${range}${before}#~` }),
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const sort = Items?.[0]?.[keyAttributesOf('endedGrants').sortKey];
    return typeof sort === 'string' ? (sort.slice(range.length).split('#')[0] ?? null) : null;
  }

  async activeStandingGrants(system: string, filedBefore?: Date): Promise<Grant[]> {
    const entries = await queryAll(this.db, {
      TableName: this.tableName,
      ...partitionQuery(
        'standingGrants',
        system,
        filedBefore ? { op: '<', value: grantIdsFiledBefore(filedBefore) } : undefined,
      ),
    });
    const found = await batchGet(
      this.db,
      this.tableName,
      entries.map((entry) => tableKeyOf(entry)),
    );
    // The index may lag the table: a grant that has begun to end since is left out.
    return found.map((item) => storedGrant(item)).filter((grant) => grant.status === 'active');
  }

  dueForRevocation(now: Date, limit: number): Promise<Grant[]> {
    return this.dueBy('revocationDue', now, limit);
  }

  noticesDue(now: Date, limit: number): Promise<Grant[]> {
    return this.dueBy('noticeDue', now, limit);
  }

  /** The grants of a sparse partition sorted by when they are due, up to `now`, oldest first. */
  private async dueBy(partition: 'revocationDue' | 'noticeDue', now: Date, limit: number): Promise<Grant[]> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        // Every due key sorts before now followed by `~`, which sorts after `#` and every digit.
        ...partitionQuery(partition, '', { op: '<', value: `${now.toISOString()}~` }),
        Limit: limit,
      }),
    );
    const found = await batchGet(
      this.db,
      this.tableName,
      (result.Items ?? []).map((entry) => tableKeyOf(entry)),
    );
    return found.map((item) => storedGrant(item));
  }

  /**
   * Both partitions sort by grant id, so newest first is one Query read backwards. A holder's grants
   * on one system are filtered in gsi1, which projects the system: a filtered page can come back
   * short, so pages are read on until one grant more than wanted is found or none remain.
   */
  async list(
    filter: GrantFilter,
    page: { after?: string; limit: number },
  ): Promise<{ items: Grant[]; last: string | null }> {
    const below = page.after ? ({ op: '<', value: page.after } as const) : undefined;
    const query =
      filter.holder === undefined
        ? partitionQuery('systemGrants', filter.system, below)
        : filter.system === undefined
          ? partitionQuery('holder', filter.holder, below)
          : withFilter(partitionQuery('holder', filter.holder, below), '#system = :system', {
              names: { '#system': 'system' },
              values: { ':system': filter.system },
            });
    const entries: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          ...query,
          ScanIndexForward: false,
          Limit: page.limit + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      entries.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
    } while (startKey && entries.length <= page.limit);
    const found = await batchGet(
      this.db,
      this.tableName,
      entries.slice(0, page.limit + 1).map((entry) => tableKeyOf(entry)),
    );
    const grants = found.map((item) => storedGrant(item));
    const items = grants.slice(0, page.limit);
    return { items, last: grants.length > page.limit ? (items.at(-1)?.id ?? null) : null };
  }
}
