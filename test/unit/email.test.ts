import {
  MessageRejected,
  SESv2Client,
  SESv2ServiceException,
  SendEmailCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { simpleParser } from 'mailparser';
import { beforeEach, describe, expect, it } from 'vitest';
import { SesMailer, TransientError } from '../../functions/adapters/email';
import { renderEmail } from '../../functions/app/render-email';

describe('renderEmail', () => {
  const approval = {
    title: 'Approve payroll-read for alice@example.com',
    intro: ['Alice asks for read access to payroll.', 'The link works once.'],
    rows: [
      ['System', 'payroll'],
      ['Justification', '<script>alert("x")</script> & more'],
    ] as [string, string][],
    actions: [
      { label: 'Approve', url: 'http://127.0.0.1:3000/a/approve-token?stage=1&ticket=T1' },
      { label: 'Deny', url: 'http://127.0.0.1:3000/a/deny-token' },
    ],
    footer: 'You get this because you approve payroll access.',
  };

  it('escapes HTML in interpolated values', () => {
    // Prepare
    const content = approval;

    // Act
    const { html } = renderEmail(content);

    // Assess
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
  });

  it('puts every action URL in both the HTML and the text part', () => {
    // Prepare
    const content = approval;

    // Act
    const { html, text } = renderEmail(content);

    // Assess
    expect(html).toContain('href="http://127.0.0.1:3000/a/approve-token?stage=1&amp;ticket=T1"');
    expect(html).toContain('href="http://127.0.0.1:3000/a/deny-token"');
    expect(text).toContain('Approve: http://127.0.0.1:3000/a/approve-token?stage=1&ticket=T1');
    expect(text).toContain('Deny: http://127.0.0.1:3000/a/deny-token');
  });

  it('shows the address of every button in plain text beneath it, for clients that show no buttons', () => {
    // Prepare
    const content = approval;

    // Act
    const { html } = renderEmail(content);

    // Assess
    const shown = [...html.matchAll(/Or open this address: <a [^>]*>([^<]*)<\/a>/g)].map((match) => match[1]);
    expect(shown).toEqual([
      'http://127.0.0.1:3000/a/approve-token?stage=1&amp;ticket=T1',
      'http://127.0.0.1:3000/a/deny-token',
    ]);
  });

  it('carries the title, paragraphs, rows and footer in the text part unescaped', () => {
    // Prepare
    const content = approval;

    // Act
    const { text } = renderEmail(content);

    // Assess
    expect(text).toContain(
      'Approve payroll-read for alice@example.com\n\nAlice asks for read access to payroll.',
    );
    expect(text).toContain('Justification: <script>alert("x")</script> & more');
    expect(text).toContain('You get this because you approve payroll access.');
  });

  it('refuses an action whose URL is not absolute http(s)', () => {
    // Prepare
    const content = { ...approval, actions: [{ label: 'Click', url: 'javascript:alert(1)' }] };

    // Act
    const rendering = () => renderEmail(content);

    // Assess
    expect(rendering).toThrow('Email action "Click" needs an absolute http(s) URL');
  });
});

describe('SesMailer', () => {
  const ses = mockClient(SESv2Client);
  const message = { to: ['bob@example.com'], subject: 'Approve?', text: 'Approve?', html: '<p>Approve?</p>' };
  const mailer = () =>
    new SesMailer(new SESv2Client({ region: 'us-east-1' }), 'tollgate@example.com', 'tollgate');

  beforeEach(() => {
    ses.reset();
  });

  it('sends a raw MIME message with the text and HTML bodies unchanged, from the configured sender', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });

    // Act
    const sent = await mailer().send(message);

    // Assess
    expect(sent).toEqual({ messageId: 'm-1' });
    const input = ses.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      FromEmailAddress: 'tollgate@example.com',
      Destination: { ToAddresses: ['bob@example.com'] },
      ConfigurationSetName: 'tollgate',
    });
    expect(input?.Content?.Simple).toBeUndefined();
    const parsed = await simpleParser(Buffer.from(input?.Content?.Raw?.Data ?? new Uint8Array()));
    expect({
      from: parsed.from?.text,
      to: parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : undefined,
      subject: parsed.subject,
      text: parsed.text,
      html: parsed.html,
      attachments: parsed.attachments,
    }).toEqual({
      from: 'tollgate@example.com',
      to: 'bob@example.com',
      subject: 'Approve?',
      text: 'Approve?',
      html: '<p>Approve?</p>',
      attachments: [],
    });
  });

  it('sends each attachment with a cid as an inline part of the message', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-2' });
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

    // Act
    await mailer().send({
      ...message,
      html: '<img src="cid:volume" alt="Volume">',
      attachments: [{ filename: 'volume.png', contentType: 'image/png', cid: 'volume', content: png }],
    });

    // Assess
    const raw = ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Raw?.Data;
    const [part] = (await simpleParser(Buffer.from(raw ?? new Uint8Array()))).attachments;
    expect({
      filename: part?.filename,
      contentType: part?.contentType,
      cid: part?.cid,
      disposition: part?.contentDisposition,
      content: [...(part?.content ?? [])],
    }).toEqual({
      filename: 'volume.png',
      contentType: 'image/png',
      cid: 'volume',
      disposition: 'inline',
      content: [...png],
    });
  });

  it('turns SES throttling into a TransientError that keeps the cause', async () => {
    // Prepare
    const throttled = new TooManyRequestsException({
      message: 'Maximum sending rate exceeded.',
      $metadata: { httpStatusCode: 429 },
    });
    ses.on(SendEmailCommand).rejects(throttled);

    // Act
    const sending = mailer().send(message);

    // Assess
    await expect(sending).rejects.toBeInstanceOf(TransientError);
    await expect(sending).rejects.toMatchObject({ name: 'TransientError', cause: throttled });
  });

  it('turns an SES server fault into a TransientError', async () => {
    // Prepare
    ses.on(SendEmailCommand).rejects(
      new SESv2ServiceException({
        name: 'InternalFailure',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'Internal failure',
      }),
    );

    // Act
    const sending = mailer().send(message);

    // Assess
    await expect(sending).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('turns a reset connection into a TransientError', async () => {
    // Prepare
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

    // Act
    const sending = mailer().send(message);

    // Assess
    await expect(sending).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('lets a permanent SES error through under its own name', async () => {
    // Prepare
    ses.on(SendEmailCommand).rejects(
      new MessageRejected({
        message: 'Email address is not verified.',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const sending = mailer().send(message);

    // Assess
    await expect(sending).rejects.toMatchObject({ name: 'MessageRejected' });
  });
});
