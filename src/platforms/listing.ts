// Walking a platform's paged list of accounts: every page, up to a safety cap on the items kept; when an
// account is sought (selecting one), past the cap until it is found. A list cut by the cap says so.
import { Account, AccountLimit } from './operations';

export interface ListPage<T> {
  items: T[];
  /** The platform's handle on the next page; undefined on the last. */
  next?: string;
}

export interface Walked<T> {
  items: T[];
  /** More items exist than the cap let through. */
  truncated: boolean;
}

/** Pages walked at most even when seeking one account: a bound on a runaway list, not a cap on results. */
const SEEK_PAGE_BOUND = 1000;

export async function walkPages<T>(
  limit: AccountLimit,
  idOf: (item: T) => string | undefined,
  fetchPage: (next: string | undefined) => Promise<ListPage<T>>,
): Promise<Walked<T>> {
  const items: T[] = [];
  let next: string | undefined;
  for (let page = 0; page < SEEK_PAGE_BOUND; page++) {
    const got = await fetchPage(next);
    items.push(...got.items);
    next = got.items.length > 0 ? got.next : undefined;
    if (limit.find !== undefined && got.items.some((i) => idOf(i) === limit.find)) break;
    if (limit.find === undefined && items.length >= limit.cap) break;
    if (!next) break;
  }
  if (limit.find !== undefined) return { items, truncated: false };
  return { items: items.slice(0, limit.cap), truncated: items.length > limit.cap || next !== undefined };
}

/** Several lists as one answer: their accounts in order, truncated when any of them was. */
export function joinLists(lists: Array<{ accounts: Account[]; truncated: boolean }>) {
  return { accounts: lists.flatMap((l) => l.accounts), truncated: lists.some((l) => l.truncated) };
}
