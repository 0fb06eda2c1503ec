import { describe, expect, it } from 'vitest';
import { chainOf } from '../../../functions/adapters/dynamodb/audit-chains';
import { recordAdminAction } from '../../../functions/domain/audit/admin-events';

const history = recordAdminAction([], {
  type: 'directory_entry_written',
  at: '2026-12-05T08:00:00.000Z',
  actor: 'ivan@example.com',
  data: { id: 'alex@example.com', created: true, content: 'abc' },
});

describe('the chain a table item carries', () => {
  it('names tickets, grants and admin records as checkpoints do', () => {
    // Prepare
    const items = [
      { pk: 'TICKET#01J0', sk: 'TICKET', timeline: history },
      { pk: 'GRANT#01J0-grant', sk: 'GRANT', events: history },
      { pk: 'IDENTITY#alex@example.com', sk: 'IDENTITY', history },
      { pk: 'SYSTEM#github', sk: 'SYSTEM', history },
      { pk: 'POLICIES', sk: 'LIVE', history },
    ];
    // Act
    const chains = items.map((item) => chainOf(item)?.chain);
    // Assess
    expect(chains).toEqual([
      'ticket:01J0',
      'grant:01J0-grant',
      'admin:identity/alex@example.com',
      'admin:system/github',
      'admin:policies',
    ]);
  });

  it('is none for a seeded entry without history, or an item that is not a record', () => {
    // Act & Assess
    expect(chainOf({ pk: 'IDENTITY#sam@example.com', sk: 'IDENTITY' })).toBeNull();
    expect(chainOf({ pk: 'TASK#x', sk: 'TASK' })).toBeNull();
  });
});
