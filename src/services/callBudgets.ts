// Per-token call budgets the platforms set (TikTok: 6 Direct Post inits a minute per user token), kept by the
// service so a caller gets 429 with Retry-After before the platform is asked. Counted per connection (one user
// token at a time) in a table shared by every instance, over a sliding window like TikTok's. A renewed token
// does not reset the count here, though it may at the platform: the service errs on the side of waiting.
import { CallBudget } from '../platforms/operations';
import { callBudgets } from '../stores/callBudgetStore';
import { InsertFailedError } from '../stores/recordTable';
import { tablesSdk } from '../stores/tables';
import { DomainError, unavailable } from '../shared/errors';

const ATTEMPTS = 5;

function spent(budget: CallBudget, waitMs: number): DomainError {
  const wait = Math.max(1, Math.ceil(waitMs / 1000));
  return new DomainError(
    'platform_rate_limited',
    `${budget.rule}, and this connection has used them; the service did not send this one. Retry after ${wait} s.`,
    { retryAfterSeconds: wait, details: { limit: budget.limit, window_seconds: budget.windowSeconds } },
  );
}

/** Spends one call of `budget` for the connection (429 when none is left); resolves to a give-back. */
export async function spendCallBudget(
  connectionId: string,
  budget: CallBudget,
  now = Date.now(),
): Promise<() => Promise<void>> {
  const windowMs = budget.windowSeconds * 1000;
  const release = async () => {
    try {
      await callBudgets.update(connectionId, budget.name, (r) => {
        const at = r.calls.indexOf(now);
        return at < 0 ? undefined : { ...r, calls: [...r.calls.slice(0, at), ...r.calls.slice(at + 1)] };
      });
    } catch {
      // Giving back is a courtesy: the call simply stays counted until it leaves the window.
    }
  };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let waitMs: number | undefined;
    const updated = await callBudgets.update(connectionId, budget.name, (r) => {
      const calls = r.calls.filter((t) => t > now - windowMs).sort((a, b) => a - b);
      if (calls.length >= budget.limit) {
        // Room for one more once the oldest calls beyond limit - 1 have left the window.
        waitMs = calls[calls.length - budget.limit] + windowMs - now;
        return undefined;
      }
      return { ...r, calls: [...calls, now] };
    });
    if (waitMs !== undefined) throw spent(budget, waitMs);
    if (updated) return release;
    try {
      await callBudgets.insert({ connectionId, budget: budget.name, calls: [now] });
      return release;
    } catch (err) {
      // Another instance wrote the first row meanwhile: count against it.
      if (!(err instanceof InsertFailedError) || err.absent) throw err;
    }
  }
  throw unavailable('The call budget could not be counted (too many concurrent writers); try again.');
}

/** Forgets every budget a deleted connection was counting, so its rows do not outlive it. */
export async function forgetCallBudgets(connectionId: string): Promise<void> {
  const { odata } = await tablesSdk();
  for await (const { value } of callBudgets.all(odata`PartitionKey eq ${connectionId}`))
    await callBudgets.delete(value.connectionId, value.budget);
}
