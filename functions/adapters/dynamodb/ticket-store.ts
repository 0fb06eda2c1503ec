import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, TicketExistsError } from '../../app/errors';
import type { TicketFacts, TicketListQuery, TicketPage, TicketPartition, TicketStore } from '../../app/ports';
import { isOpen, type Status } from '../../domain/lifecycle';
import { type Ticket, ticketNumber } from '../../domain/ticket';
import {
  batchGet,
  batchPut,
  getByKey,
  isConditionalCheckFailure,
  queryAll,
  tableKeyOf,
  withoutKeys,
} from './client';
import {
  idsSubmitted,
  keyAttributesOf,
  keys,
  type PartitionName,
  partitionQuery,
  type SortCondition,
  withFilter,
} from './table';

/** The port's partitions are the schema's, each sorted by ticket id. */
/**
 * Index pages one partition reads for one list call: a page is `limit + 1` entries, so a search
 * reads about four pages' worth of tickets at most (about 100 at the console's 25 a page).
 */
const PAGES_PER_LIST = 4;

const partitionNames = {
  requester: 'requester',
  beneficiary: 'beneficiary',
  status: 'status',
  system: 'systemTickets',
  viewer: 'viewer',
} as const satisfies Record<TicketPartition['by'], PartitionName>;

export class DynamoTicketStore implements TicketStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(id: string): Promise<Ticket | undefined> {
    const item = await getByKey(this.db, this.tableName, keys.ticketId(id), { consistent: true });
    return item ? withoutKeys<Ticket>(item) : undefined;
  }

  /**
   * The number's item first, then the ticket: the local store has no transactions, and in this
   * order no ticket is ever stored without the item that finds it. An item whose ticket was never
   * stored (a crash between the two writes) finds nothing, since a lookup keeps only a ticket that
   * carries the number; one left by a retry that lost the race to store the same ticket is removed.
   */
  async create(ticket: Ticket): Promise<void> {
    const allocated = ticketNumber.parse(ticket.number);
    if (allocated === null) throw new Error(`Ticket ${ticket.id} carries no allocated number`);
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.ticketNumber(allocated), ticketId: ticket.id },
        // The same write resent (an SDK retry after a lost answer) finds its own item.
        ConditionExpression: 'attribute_not_exists(pk) OR ticketId = :id',
        ExpressionAttributeValues: { ':id': ticket.id },
      }),
    );
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.ticket(ticket), ...ticket },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      // Stored already: by this very write resent, or by a concurrent retry under another number.
      if ((await this.get(ticket.id))?.number !== ticket.number) {
        await this.db.send(
          new DeleteCommand({ TableName: this.tableName, Key: keys.ticketNumber(allocated) }),
        );
      }
      throw new TicketExistsError(ticket.id);
    }
  }

  async allocateNumber(): Promise<number> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.ticketNumberCounter(),
        UpdateExpression: 'ADD #last :one',
        ExpressionAttributeNames: { '#last': 'last' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.last);
  }

  async getByNumber(allocated: number): Promise<Ticket | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.ticketNumber(allocated), ConsistentRead: true }),
    );
    const ticket = typeof Item?.ticketId === 'string' ? await this.get(Item.ticketId) : undefined;
    return ticket?.number === ticketNumber.format(allocated) ? ticket : undefined;
  }

  /**
   * The whole item, timeline included, in one conditional write on the version it was read at.
   * A rated ticket's feedback marker is written after it on every save, so a crash between the two
   * writes is mended by the ticket's next save (or the rollup misses one rating until then).
   */
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
    if (ticket.feedback) {
      await this.db.send(
        new PutCommand({ TableName: this.tableName, Item: keys.feedback(ticket.id, ticket.feedback.at) }),
      );
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
  /**
   * The newest tickets of the partitions, merged. Each partition reads at most PAGES_PER_LIST pages
   * of its index, so a search whose status is checked on the tickets read (a system's, a person's)
   * reads a bounded number of them however few match: it then answers what it found among the
   * tickets it read, maybe fewer than the limit or none, and `lastId` where its reading stopped.
   */
  async list(query: TicketListQuery): Promise<TicketPage> {
    const perPartition = await Promise.all(
      query.partitions.map((partition) => this.queryPartition(partition, query, query.limit + 1)),
    );
    // Every partition has been read down to the highest place one of them stopped at: only the
    // tickets at or above it are known to be the newest of them all.
    const stops = perPartition.flatMap(({ readDownTo }) => (readDownTo ? [readDownTo] : []));
    const cutoff = stops.sort().at(-1);
    const unique = new Map(
      perPartition.flatMap(({ tickets }) => tickets.map((ticket): [string, Ticket] => [ticket.id, ticket])),
    );
    const newestFirst = [...unique.values()]
      .filter((ticket) => cutoff === undefined || ticket.id >= cutoff)
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    const items = newestFirst.slice(0, query.limit);
    const lastId = newestFirst.length > query.limit ? (items.at(-1)?.id ?? null) : (cutoff ?? null);
    return { items: items.map(({ timeline, outbox, ...summary }) => summary), lastId };
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
   * Each page of index (or viewer) entries names tickets by id, newest first; the facts asked for
   * leave the other entries out in the index itself, and the tickets are read by BatchGetItem, so
   * the status filter sees each ticket as it is now. `readDownTo`: the id below which this
   * partition was not read (its last ticket kept, when it found `wanted`; the last entry read, when
   * its pages ran out first); undefined when nothing is left below what it read.
   */
  private async queryPartition(
    partition: TicketPartition,
    query: TicketListQuery,
    wanted: number,
  ): Promise<{ tickets: Ticket[]; readDownTo?: string }> {
    const name = partitionNames[partition.by];
    const sort = sortRange(query);
    if (sort === 'empty') return { tickets: [] };
    const { sortKey } = keyAttributesOf(name);
    const keyed = partitionQuery(name, partition.value, sort);
    const filter = factsFilter(query.facts ?? {});
    const found: Ticket[] = [];
    let startKey: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          ...(filter ? withFilter(keyed, filter.expression, filter) : keyed),
          ScanIndexForward: false,
          Limit: wanted,
          ExclusiveStartKey: startKey,
        }),
      );
      pages++;
      const ids = (page.Items ?? []).map((entry) => keys.ticketId(String(entry[sortKey])));
      const tickets = (await batchGet(this.db, this.tableName, ids)).map((item) => withoutKeys<Ticket>(item));
      found.push(
        ...tickets.filter(
          (ticket) => ticket.id !== query.afterId && (!query.status || ticket.status === query.status),
        ),
      );
      startKey = page.LastEvaluatedKey;
    } while (startKey && found.length < wanted && pages < PAGES_PER_LIST);
    if (found.length >= wanted) return { tickets: found.slice(0, wanted), readDownTo: found[wanted - 1]?.id };
    // The pages ran out with entries left below the last one the index read (its filter included).
    return { tickets: found, ...(startKey ? { readDownTo: String(startKey[sortKey]) } : {}) };
  }
}

/**
 * The ids below the cursor, within the period when there is one. BETWEEN includes its ends, so the
 * cursor's own ticket is read again and left out; a cursor before the period leaves nothing.
 */
function sortRange(query: Pick<TicketListQuery, 'afterId' | 'period'>): SortCondition | undefined | 'empty' {
  if (!query.period) return query.afterId ? { op: '<', value: query.afterId } : undefined;
  const { low, high } = idsSubmitted(query.period);
  const below = query.afterId && query.afterId < high ? query.afterId : high;
  return below < low ? 'empty' : { op: 'between', low, high: below };
}

/** An equality on each fact asked for, which gsi1-gsi4 project: null when none is. */
function factsFilter(facts: TicketFacts) {
  const asked = Object.entries(facts).filter(([, value]) => value !== undefined);
  if (asked.length === 0) return null;
  return {
    expression: asked.map(([fact]) => `#${fact} = :${fact}`).join(' AND '),
    names: Object.fromEntries(asked.map(([fact]) => [`#${fact}`, fact])),
    values: Object.fromEntries(asked.map(([fact, value]) => [`:${fact}`, value])),
  };
}
