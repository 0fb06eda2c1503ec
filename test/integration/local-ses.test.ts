import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BadRequestException,
  SESv2Client,
  SendEmailCommand,
  type SendEmailCommandInput,
} from '@aws-sdk/client-sesv2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SesMailer } from '../../functions/adapters/email';
import { renderEmail } from '../../functions/app/render-email';
import { type LocalSes, readOutbox, startLocalSes } from '../../functions/local/ses';

describe('local SES endpoint', () => {
  let outboxDir: string;
  let ses: LocalSes;
  let client: SESv2Client;

  beforeEach(async () => {
    outboxDir = await mkdtemp(join(tmpdir(), 'tollgate-outbox-'));
    ses = await startLocalSes({ outboxDir, port: 0 });
    client = new SESv2Client({
      endpoint: ses.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    client.destroy();
    await ses.close();
    await rm(outboxDir, { recursive: true, force: true });
  });

  const approvalEmail = (subject: string): SendEmailCommandInput => ({
    FromEmailAddress: 'Tollgate <tollgate@example.com>',
    Destination: { ToAddresses: ['manager@example.com'], CcAddresses: ['security@example.com'] },
    ConfigurationSetName: 'tollgate',
    Content: {
      Simple: {
        Subject: { Data: subject },
        Body: {
          Text: { Data: 'Approve: http://127.0.0.1:3000/a/approve-token' },
          Html: {
            Data:
              '<p><a href="http://127.0.0.1:3000/a/approve-token?x=1&amp;y=2">Approve</a> ' +
              '<a href="http://127.0.0.1:3000/a/approve-token?x=1&amp;y=2">Approve again</a> ' +
              '<a href="mailto:help@example.com">Help</a> <a href="/relative">Relative</a> ' +
              "<a href='https://tollgate.example.com/a/deny-token'>Deny</a></p>",
          },
        },
      },
    },
  });

  it('stores each sent message as an .eml file that the outbox lists as a mail client reads it', async () => {
    // Prepare
    const first = approvalEmail('Approve payroll-read for alice');
    const second = approvalEmail('Reminder: approve payroll-read for alice');

    // Act
    const sentFirst = await client.send(new SendEmailCommand(first));
    const sentSecond = await client.send(new SendEmailCommand(second));
    const messages = await readOutbox(outboxDir);

    // Assess
    expect(messages.map((message) => message.id)).toEqual([sentFirst.MessageId, sentSecond.MessageId]);
    expect(await readdir(outboxDir)).toHaveLength(2);
    const [message] = messages;
    expect(message).toMatchObject({
      to: ['manager@example.com', 'security@example.com'],
      subject: 'Approve payroll-read for alice',
      text: 'Approve: http://127.0.0.1:3000/a/approve-token',
      links: ['http://127.0.0.1:3000/a/approve-token?x=1&y=2', 'https://tollgate.example.com/a/deny-token'],
    });
    expect(message?.html).toContain('>Approve again</a>');
    expect(Date.now() - Date.parse(message?.at ?? '')).toBeLessThan(60_000);
  });

  it('composes a multipart/alternative MIME message with Message-ID and Date headers', async () => {
    // Prepare
    const input = approvalEmail('Approve payroll-read for alice');

    // Act
    const { MessageId } = await client.send(new SendEmailCommand(input));
    const eml = await readFile(join(outboxDir, `${MessageId}.eml`), 'utf8');

    // Assess
    expect(eml).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(eml).toMatch(/^Content-Type: text\/plain/m);
    expect(eml).toMatch(/^Content-Type: text\/html/m);
    expect(eml).toMatch(new RegExp(`^Message-ID: <${MessageId}@`, 'm'));
    expect(eml).toMatch(/^Date: /m);
    expect(eml).toMatch(/^X-SES-Configuration-Set: tollgate/im);
  });

  it('rejects a message without a destination with a BadRequestException and stores nothing', async () => {
    // Prepare
    const input: SendEmailCommandInput = { ...approvalEmail('No one to send to'), Destination: {} };

    // Act
    const sending = client.send(new SendEmailCommand(input));

    // Assess
    await expect(sending).rejects.toBeInstanceOf(BadRequestException);
    await expect(sending).rejects.toThrow('Destination has no recipients');
    expect(await readdir(outboxDir)).toEqual([]);
  });

  it('rejects an illegal recipient address with a BadRequestException', async () => {
    // Prepare
    const input: SendEmailCommandInput = {
      ...approvalEmail('Bad address'),
      Destination: { ToAddresses: ['not an address'] },
    };

    // Act
    const sending = client.send(new SendEmailCommand(input));

    // Assess
    await expect(sending).rejects.toThrow(BadRequestException);
    expect(await readdir(outboxDir)).toEqual([]);
  });

  it('does not list a temp file left behind by a write that crashed before its rename', async () => {
    // Prepare
    await client.send(new SendEmailCommand(approvalEmail('Complete message')));
    await writeFile(join(outboxDir, '.01ZZZZZZZZZZZZZZZZZZZZZZZZ.eml.tmp'), 'Subject: half a mess');

    // Act
    const messages = await readOutbox(outboxDir);

    // Assess
    expect(messages.map((message) => message.subject)).toEqual(['Complete message']);
  });

  it('lists the action links of an email rendered by renderEmail and sent by SesMailer', async () => {
    // Prepare
    const mailer = new SesMailer(client, 'tollgate@example.com');
    const rendered = renderEmail({
      title: 'Approve payroll-read',
      intro: ['Alice asks for read access.'],
      actions: [
        { label: 'Approve', url: 'http://127.0.0.1:3000/a/one?stage=1&ticket=T1' },
        { label: 'Deny', url: 'http://127.0.0.1:3000/a/two' },
      ],
    });

    // Act
    const { messageId } = await mailer.send({ to: ['bob@example.com'], subject: 'Approve?', ...rendered });
    const [message] = await readOutbox(outboxDir);

    // Assess
    expect(message).toMatchObject({ id: messageId, to: ['bob@example.com'], subject: 'Approve?' });
    expect(message?.links).toEqual([
      'http://127.0.0.1:3000/a/one?stage=1&ticket=T1',
      'http://127.0.0.1:3000/a/two',
    ]);
    expect(message?.text).toContain('Deny: http://127.0.0.1:3000/a/two');
  });

  it('stores a raw message as sent under the MessageId it answers, and lists its attachments', async () => {
    // Prepare
    const mailer = new SesMailer(client, 'tollgate@example.com', 'tollgate');
    const png = new Uint8Array(1234).fill(7);

    // Act
    const { messageId } = await mailer.send({
      to: ['bob@example.com'],
      subject: 'Weekly report',
      text: 'Tickets: 12',
      html: '<p>Tickets: 12</p><img src="cid:volume" alt="Volume">',
      attachments: [{ filename: 'volume.png', contentType: 'image/png', cid: 'volume', content: png }],
    });
    const eml = await readFile(join(outboxDir, `${messageId}.eml`), 'utf8');
    const [message] = await readOutbox(outboxDir);

    // Assess
    expect(eml.match(/^Message-ID: .*$/gim)).toEqual([`Message-ID: <${messageId}@local-ses.tollgate>`]);
    expect(eml).toMatch(/^X-SES-Configuration-Set: tollgate/im);
    expect(message).toMatchObject({
      id: messageId,
      to: ['bob@example.com'],
      subject: 'Weekly report',
      text: 'Tickets: 12',
      attachments: [{ filename: 'volume.png', contentType: 'image/png', cid: 'volume', size: 1234 }],
    });
  });

  it('rejects raw content that is not a MIME message and stores nothing', async () => {
    // Prepare
    const input: SendEmailCommandInput = {
      ...approvalEmail('Raw'),
      Content: { Raw: { Data: new TextEncoder().encode('not a message') } },
    };

    // Act
    const sending = client.send(new SendEmailCommand(input));

    // Assess
    await expect(sending).rejects.toThrow(BadRequestException);
    expect(await readdir(outboxDir)).toEqual([]);
  });

  it('lists an outbox folder that does not exist yet as empty', async () => {
    // Prepare
    const missing = join(outboxDir, 'not-yet');

    // Act
    const messages = await readOutbox(missing);

    // Assess
    expect(messages).toEqual([]);
  });
});
