import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { eventually, TollgateClient } from '../support/workflow-client';

/**
 * Issue 11's walk-through: admin on a critical system goes through three named approvers in order,
 * each asked by their own emailed link that says why, and nobody decides two stages.
 */
describe('a three-stage request, decided through the emailed links', () => {
  let tollgate: TestRuntime;
  let client: TollgateClient;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    client = new TollgateClient(tollgate.url);
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  /** The approval email to `to` about the ticket: its text, and its link on this server. */
  const approvalEmail = async (to: string, ticketId: string) => {
    const message = await eventually(async () =>
      (await client.outbox()).find(
        (m) => m.to.includes(to) && m.subject.startsWith('Approval needed') && m.subject.includes(ticketId),
      ),
    );
    return { text: message.text, link: client.onThisServer(message.links[0] ?? '') };
  };

  it('asks the manager, then the system owner, then security, each saying why, and grants after the third', async () => {
    // Prepare: Alex asks for AdministratorAccess on the AWS production account (critical, owned by Sam)
    const filed = await client.call<{ id: string }>(people.alex, 'POST', '/requests', {
      type: 'access',
      system: 'aws-prod',
      entitlement: 'aws-prod-admin',
      justification: 'Rotate the production KMS keys during the change window',
    });
    expect(filed.status).toBe(201);
    const id = filed.body.id;

    // Act + Assess: the manager first, told what comes after and which rule asked
    const toManager = await approvalEmail(people.erin, id);
    expect(toManager.text).toContain(
      "Needs your approval as Alex Developer's manager, and then the system owner's and security's, because every access request needs the manager",
    );
    const page = await client.openLink(toManager.link);
    expect(page.html).toContain('(rule manager-approval)');
    const managerDecided = await client.submitLink(toManager.link, { decision: 'approve' });
    expect(managerDecided.status).toBe(200);
    expect(managerDecided.html).toContain('<h1>You approved the request</h1>');
    expect(managerDecided.html).toContain('Next, the system owner is asked to approve it');

    // The system owner next: Sam owns the account
    const toOwner = await approvalEmail(people.sam, id);
    expect(toOwner.text).toContain(
      "Needs your approval as the owner of AWS production account, after the manager's approval, and then security's",
    );
    expect(toOwner.text).toContain('(rule high-admin-system-owner)');
    expect(toOwner.text).toContain(`Already approved by Erin Lead <${people.erin}>, as the manager`);
    expect((await client.submitLink(toOwner.link, { decision: 'approve' })).status).toBe(200);

    // Security last: Sam is in the security group but decided a stage already, so only Sara is asked
    const toSecurity = await approvalEmail(people.sara, id);
    expect(toSecurity.text).toContain('(rule critical-admin-security)');
    expect(toSecurity.text).toContain(`Already approved by Erin Lead <${people.erin}>, as the manager`);
    expect(toSecurity.text).toContain(`and Sam Security <${people.sam}>, as the system owner`);
    const securityStage = (await client.ticket(people.aude, id)).approvals[2];
    expect(securityStage?.candidates).toEqual([people.sara]);
    expect((await client.submitLink(toSecurity.link, { decision: 'approve' })).status).toBe(200);

    // Then to the fulfiller, with every stage recorded by the person who decided it, by link
    const approved = await client.ticketWhen(people.aude, id, (ticket) => ticket.status === 'fulfilling');
    expect(approved.approvals.map((stage) => [stage.stage, stage.decidedBy, stage.via])).toEqual([
      ['manager', people.erin, 'link'],
      ['system_owner', people.sam, 'link'],
      ['security', people.sara, 'link'],
    ]);
  });
});
