import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../../functions/domain/errors';
import { assertMayFileFor, mayFileFor } from '../../../functions/domain/filing';
import { person, serviceAccount } from './fixtures';

const lead = person('lead@x.com');
const dev = person('dev@x.com', { managerId: lead.id });
const peer = person('peer@x.com', { managerId: lead.id });
const robot = serviceAccount('svc:robot', dev.id);
const leaver = person('leaver@x.com', { managerId: lead.id, status: 'departed' });
const orphan = serviceAccount('svc:orphan', leaver.id);
const directory = {
  identity: async (id: string) => [lead, dev, peer, robot, leaver, orphan].find((each) => each.id === id),
};

describe('who may file for whom', () => {
  it('lets anyone file for themselves', async () => {
    expect(await mayFileFor(dev, dev, directory)).toBe(true);
  });

  it('lets a manager file for a direct report', async () => {
    expect(await mayFileFor(lead, dev, directory)).toBe(true);
  });

  it('lets an owner file for their service account', async () => {
    expect(await mayFileFor(dev, robot, directory)).toBe(true);
  });

  it('lets the manager of a departed owner file for the service account, so an orphan can still be asked for', async () => {
    expect(await mayFileFor(lead, orphan, directory)).toBe(true);
    expect(await mayFileFor(peer, orphan, directory)).toBe(false);
  });

  it('refuses a peer, a report filing for their manager, and a non-owner filing for a service account', async () => {
    expect(await mayFileFor(peer, dev, directory)).toBe(false);
    expect(await mayFileFor(dev, lead, directory)).toBe(false);
    expect(await mayFileFor(peer, robot, directory)).toBe(false);
    expect(await mayFileFor(lead, robot, directory)).toBe(false);
  });

  it('explains a refusal with a forbidden error naming both parties', async () => {
    await expect(assertMayFileFor(peer, dev, directory)).rejects.toThrow(ForbiddenError);
    await expect(assertMayFileFor(peer, dev, directory)).rejects.toThrow(
      /peer@x.com may not file for dev@x.com/,
    );
  });
});
