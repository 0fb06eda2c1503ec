import type { ApiClient, ApiResponse } from './client';

interface Page<T> {
  items: T[];
  next: string | null;
}

type TicketItem = { id: string; status: string; createdAt: string; requester: string; beneficiary: string };

/**
 * Every item of the list at `path`, following `next` until it is null; each page is checked to be
 * a 200 with the contract's `{items, next}`. Answers the pages too, so paging itself can be asserted.
 */
export async function pageThrough<T extends { id: string }>(
  client: ApiClient,
  path: string,
  query: Record<string, string> = {},
  maxPages = 200,
): Promise<{ ids: string[]; items: T[]; pages: Page<T>[] }> {
  const pages: Page<T>[] = [];
  let cursor: string | null = null;
  do {
    const params: URLSearchParams = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
    const response: ApiResponse<Page<T>> = await client.get<Page<T>>(`${path}?${params}`);
    if (response.status !== 200)
      throw new Error(`GET ${path}?${params} answered ${response.status}: ${response.text}`);
    pages.push(response.body);
    cursor = response.body.next;
    if (pages.length > maxPages) throw new Error(`more than ${maxPages} pages: the cursor does not advance`);
  } while (cursor);
  const items = pages.flatMap((page) => page.items);
  return { ids: items.map((item) => item.id), items, pages };
}

/** Every ticket of GET /requests with this query, page by page. */
export function listAll(
  client: ApiClient,
  query: Record<string, string> = {},
  maxPages = 200,
): Promise<{ ids: string[]; items: TicketItem[]; pages: Page<TicketItem>[] }> {
  return pageThrough<TicketItem>(client, '/requests', query, maxPages);
}
