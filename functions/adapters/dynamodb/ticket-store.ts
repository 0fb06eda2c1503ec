import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, TicketExistsError } from '../../app/errors';
import type { TicketPage, TicketPartition, TicketStore } from '../../app/ports';
import { isOpen, type Status } from '../../domain/lifecycle';
import type { Ticket } from '../../domain/ticket';
import {
  batchGet,
  batchPut,
  isConditionalCheckFailure,
  isStorableKey,
  queryAll,
  tableKeyOf,
  withoutKeys,
} from './client';
import { keyAttributesOf, keys, partitionQuery, withFilter } from './table';

export class DynamoTicketStore implements TicketStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(id: string): Promise<Ticket | undefined> {
    if (!isStorableKey(keys.ticketId(id))) return undefined;
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.ticketId(id), ConsistentRead: true }),
    );
    return Item ? withoutKeys<Ticket>(Item) : undefined;
  }

  async create(ticket: Ticket): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.ticket(ticket), ...ticket },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new TicketExistsError(ticket.id);
      throw error;
    }
  }

  /** The whole item, timeline included, in one conditional write on the version it was read at. */
  async save(ticket: Ticket, readVersion: number): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.ticket(ticket), ...ticket },
          ConditionExpression: '#version = :previous',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':previous': readVersion },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new ConcurrentUpdateError(ticket.id);
      throw error;
    }
  }

  async entitlementsApprovedFor(beneficiary: string): Promise<{ ticketId: string; entitlement: string }[]> {
    // Read as they are now: one that moved on since the index was read is not about to be held any more.
    return (await this.inFlightFor(beneficiary, 'fulfilling'))
      .filter((ticket) => ticket.type === 'access' && ticket.entitlement)
      .map((ticket) => ({ ticketId: ticket.id, entitlement: ticket.entitlement as string }));
  }

  /** The index sorts a beneficiary's entries by status first, so one status is one narrow Query. */
  async inFlightFor(beneficiary: string, status?: Status): Promise<Ticket[]> {
    const entries = await queryAll(this.db, {
      TableName: this.tableName,
      ...partitionQuery(
        'inFlight',
        beneficiary,
        status ? { op: 'begins_with', value: `${status}#` } : undefined,
      ),
    });
    return (await this.readAll(entries)).filter(
      (ticket) => isOpen(ticket.status) && (!status || ticket.status === status),
    );
  }

  /**
   * gsi3 projects each ticket's system, so the index itself leaves out the other systems' tickets:
   * only this system's are read.
   */
  async awaitingApprovalOn(system: string): Promise<Ticket[]> {
    const entries = await queryAll(this.db, {
      TableName: this.tableName,
      ...withFilter(partitionQuery('status', 'pending_approval'), '#system = :system', {
        names: { '#system': 'system' },
        values: { ':system': system },
      }),
    });
    return (await this.readAll(entries)).filter(
      (ticket) => ticket.status === 'pending_approval' && ticket.system === system,
    );
  }

  /**
   * Each partition gives its newest `limit + 1` tickets below the cursor; the newest `limit` of
   * their union are the page, and one more means another page follows.
   */
  async list(query: {
    partitions: TicketPartition[];
    status?: Status;
    afterId?: string;
    limit: number;
  }): Promise<TicketPage> {
    const perPartition = await Promise.all(
      query.partitions.map((partition) =>
        this.queryPartition(partition, query.status, query.afterId, query.limit + 1),
      ),
    );
    const unique = new Map(perPartition.flat().map((ticket) => [ticket.id, ticket]));
    const newestFirst = [...unique.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
    const items = newestFirst.slice(0, query.limit);
    return {
      items: items.map(({ timeline, ...summary }) => summary),
      lastId: newestFirst.length > query.limit ? (items.at(-1)?.id ?? null) : null,
    };
  }

  /** Few at any time: a ticket leaves the partition once its stop is recorded, usually at once. */
  async executionsToStop(): Promise<string[]> {
    const { sortKey } = keyAttributesOf('stopDue');
    const entries = await queryAll(this.db, { TableName: this.tableName, ...partitionQuery('stopDue', '') });
    return entries.map((entry) => String(entry[sortKey]));
  }

  async addViewers(ticketId: string, identityIds: string[]): Promise<void> {
    const viewers = [...new Set(identityIds)].map((identityId) => keys.viewer(identityId, ticketId));
    await batchPut(this.db, this.tableName, viewers);
  }

  /** The tickets that index entries name, as they are now. */
  private async readAll(entries: Record<string, unknown>[]): Promise<Ticket[]> {
    const tickets = await batchGet(this.db, this.tableName, entries.map(tableKeyOf));
    return tickets.map((item) => withoutKeys<Ticket>(item));
  }

  /**
   * Each page of index (or viewer) entries names tickets by id, newest first; the tickets themselves
   * are read by BatchGetItem, so the status filter sees each ticket as it is now.
   */
  private async queryPartition(
    partition: TicketPartition,
    status: Status | undefined,
    afterId: string | undefined,
    wanted: number,
  ): Promise<Ticket[]> {
    // The port's partitions are the schema's of the same names, each sorted by ticket id.
    const { sortKey } = keyAttributesOf(partition.by);
    const found: Ticket[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          ...partitionQuery(partition.by, partition.value, afterId ? { op: '<', value: afterId } : undefined),
          ScanIndexForward: false,
          Limit: wanted,
          ExclusiveStartKey: startKey,
        }),
      );
      const ids = (page.Items ?? []).map((entry) => keys.ticketId(String(entry[sortKey])));
      const tickets = (await batchGet(this.db, this.tableName, ids)).map((item) => withoutKeys<Ticket>(item));
      found.push(...tickets.filter((ticket) => !status || ticket.status === status));
      startKey = page.LastEvaluatedKey;
    } while (startKey && found.length < wanted);
    return found.slice(0, wanted);
  }
}
