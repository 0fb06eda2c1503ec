import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrokenLink, type TimelineEvent } from '../../functions/domain/timeline';
import { githubFlow } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { type Ticket, TollgateClient } from '../support/workflow-client';

const { requester, manager, fulfiller } = githubFlow;

interface RatedTicket extends Ticket {
  feedback?: { rating: number; comment?: string; at: string };
  timeline: TimelineEvent<string>[];
}

let server: TollgateProcess;
let client: TollgateClient;

beforeAll(async () => {
  server = await startTollgate();
  client = new TollgateClient(server.url);
});

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

/** A request granted through its emailed links, and the survey link its requester was then sent. */
async function resolved(): Promise<{ id: string; survey: string }> {
  const { id } = await client.grantThrough(requester, manager, fulfiller, githubFlow.request);
  return { id, survey: await client.linkFor(requester, id, 'Rate your request') };
}

const rated = (id: string) => client.call<RatedTicket>(requester, 'GET', `/requests/${id}`);

const postFeedback = (as: string, id: string, body: unknown) =>
  client.call<RatedTicket & { error?: { fields?: Record<string, string> } }>(
    as,
    'POST',
    `/requests/${id}/feedback`,
    body,
  );

const feedbackEvents = (ticket: RatedTicket) =>
  ticket.timeline.filter((event) => event.type === 'feedback_given');

describe('the satisfaction survey', () => {
  it('emails the requester at resolution a link whose page asks for a rating and, opened twice, records nothing', async () => {
    // Prepare
    const { id, survey } = await resolved();
    const before = (await rated(id)).body;

    // Act
    const first = await client.openLink(survey);
    const second = await client.openLink(survey);
    const after = (await rated(id)).body;

    // Assess
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.html).toContain('How did your request go?');
    expect(first.html).toMatch(/<input type="radio" name="rating" value="5" required>/);
    expect(first.csrf).not.toBeNull();
    expect(after).toEqual(before);
    expect(after.feedback).toBeUndefined();
  });

  it('records the rating and comment posted from the page as the ticket feedback and a feedback_given event on the chain', async () => {
    // Prepare
    const { id, survey } = await resolved();

    // Act
    const posted = await client.submitLink(survey, { rating: '5', comment: '  Quick and clear  ' });
    const ticket = (await rated(id)).body;

    // Assess
    expect(posted.status).toBe(200);
    expect(posted.html).toContain('was recorded');
    expect(ticket.feedback).toEqual({ rating: 5, comment: 'Quick and clear', at: expect.any(String) });
    expect(ticket.timeline.at(-1)).toMatchObject({
      type: 'feedback_given',
      actor: requester,
      data: { rating: 5, comment: 'Quick and clear', via: 'link' },
    });
    expect(findBrokenLink(ticket.timeline)).toBeNull();
  });

  it('keeps one feedback when the link is posted twice and the API is called after it: the later answers are 409s', async () => {
    // Prepare
    const { id, survey } = await resolved();
    await client.submitLink(survey, { rating: '2' });

    // Act
    const again = await client.submitLink(survey, { rating: '4' });
    const viaApi = await postFeedback(requester, id, { rating: 4 });
    const ticket = (await rated(id)).body;

    // Assess
    expect(again.status).toBe(409);
    expect(viaApi.status).toBe(409);
    expect(ticket.feedback?.rating).toBe(2);
    expect(feedbackEvents(ticket)).toHaveLength(1);
  });

  it('answers a rating outside 1 to 5 on the page with a 400, and the link still works afterwards', async () => {
    // Prepare
    const { id, survey } = await resolved();

    // Act
    const refused = await client.submitLink(survey, { rating: '9' });
    const unchanged = (await rated(id)).body;
    const accepted = await client.submitLink(survey, { rating: '3' });

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('rating: must be from 1 to 5');
    expect(unchanged.feedback).toBeUndefined();
    expect(accepted.status).toBe(200);
    expect((await rated(id)).body.feedback?.rating).toBe(3);
  });
});

describe('POST /requests/{id}/feedback', () => {
  it('records the requester rating once: of two posted at once, one is a 201 and the other a 409', async () => {
    // Prepare
    const { id } = await resolved();

    // Act
    const answers = await Promise.all([
      postFeedback(requester, id, { rating: 4, comment: 'Fine' }),
      postFeedback(requester, id, { rating: 1 }),
    ]);
    const ticket = (await rated(id)).body;

    // Assess
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const won = answers.find((answer) => answer.status === 201)?.body;
    expect(ticket.feedback).toEqual(won?.feedback);
    expect(feedbackEvents(ticket)).toHaveLength(1);
    expect(findBrokenLink(ticket.timeline)).toBeNull();
  });

  it.each([
    ['a rating of 0', { rating: 0 }, 'rating'],
    ['a rating of 6', { rating: 6 }, 'rating'],
    ['a rating of 4.5', { rating: 4.5 }, 'rating'],
    ['a rating as text', { rating: '5' }, 'rating'],
    ['no rating', { comment: 'Great' }, 'rating'],
    ['a comment over 2,000 characters', { rating: 5, comment: 'x'.repeat(2001) }, 'comment'],
  ])('answers %s with a 400 naming the field, and records nothing', async (_label, body, field) => {
    // Prepare
    const { id } = await resolved();

    // Act
    const answer = await postFeedback(requester, id, body);
    const ticket = (await rated(id)).body;

    // Assess
    expect(answer.status).toBe(400);
    expect(Object.keys(answer.body.error?.fields ?? {})).toEqual([field]);
    expect(ticket.feedback).toBeUndefined();
    expect(feedbackEvents(ticket)).toEqual([]);
  });

  it('refuses feedback on a request that is not resolved yet with a 409', async () => {
    // Prepare
    const filed = await client.call<{ id: string }>(requester, 'POST', '/requests', githubFlow.request);
    await client.linkFor(manager, filed.body.id, 'Approval needed');

    // Act
    const answer = await postFeedback(requester, filed.body.id, { rating: 5 });

    // Assess
    expect(answer.status).toBe(409);
    expect((await rated(filed.body.id)).body.feedback).toBeUndefined();
  });
});
