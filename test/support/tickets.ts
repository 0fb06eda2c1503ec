import type { ApiClient } from './client';

interface Ticket {
  id: string;
  status: string;
  [key: string]: unknown;
}

/**
 * Reads a ticket until `done` holds. The workflow moves tickets on in the background and the API
 * offers no event to await, so this polls, briefly, with a deadline well inside the test timeout.
 */
export async function waitForTicket<T extends Ticket = Ticket>(
  client: ApiClient,
  id: string,
  done: (ticket: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await client.get<T>(`/requests/${id}`);
    if (response.status !== 200)
      throw new Error(`GET /requests/${id} answered ${response.status}: ${response.text}`);
    if (done(response.body)) return response.body;
    if (Date.now() > deadline) {
      throw new Error(`ticket ${id} did not reach the expected state in ${timeoutMs} ms: ${response.text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Past intake: the workflow has routed the ticket (to approval, or to its queue), where it waits for
 * people. An auditor's list reads one index partition per status, so a ticket that moves between
 * statuses during a read can be missed by that read: tests that compare such lists settle first.
 */
export const settled = (ticket: { status: string }) => ticket.status !== 'submitted';
