import type { ApiClient, ApiResponse } from './client';

interface Page {
  items: { id: string; status: string; createdAt: string; requester: string; beneficiary: string }[];
  next: string | null;
}

/**
 * Every ticket of a list, following `next` until it is null; each page is checked to be a 200 with
 * the contract's `{items, next}`. Answers the pages too, so paging itself can be asserted.
 */
export async function listAll(
  client: ApiClient,
  query: Record<string, string> = {},
  maxPages = 200,
): Promise<{ ids: string[]; items: Page['items']; pages: Page[] }> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const params: URLSearchParams = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
    const response: ApiResponse<Page> = await client.get<Page>(`/requests?${params}`);
    if (response.status !== 200)
      throw new Error(`GET /requests?${params} answered ${response.status}: ${response.text}`);
    pages.push(response.body);
    cursor = response.body.next;
    if (pages.length > maxPages) throw new Error(`more than ${maxPages} pages: the cursor does not advance`);
  } while (cursor);
  const items = pages.flatMap((page) => page.items);
  return { ids: items.map((item) => item.id), items, pages };
}
