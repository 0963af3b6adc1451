// Bounded parallel work: at most `total` items at once, and at most `perGroup(group)` of one group (one
// platform) at once, so a sweep with many renewals neither floods a platform nor waits on one at a time.

async function pool<T>(items: T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, worker));
}

function slots(size: number) {
  let free = size;
  const waiting: Array<() => void> = [];
  return {
    async take() {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
    },
    give() {
      const wake = waiting.shift();
      if (wake) wake();
      else free++;
    },
  };
}

export async function runBounded<T>(
  items: T[],
  limits: { total: number; perGroup: (group: string) => number; groupOf: (item: T) => string },
  work: (item: T) => Promise<void>,
): Promise<void> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = limits.groupOf(item);
    const list = groups.get(group);
    if (list) list.push(item);
    else groups.set(group, [item]);
  }
  const all = slots(limits.total);
  await Promise.all(
    [...groups].map(([group, list]) =>
      pool(list, limits.perGroup(group), async (item) => {
        await all.take();
        try {
          await work(item);
        } finally {
          all.give();
        }
      }),
    ),
  );
}
