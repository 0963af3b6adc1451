// Queue triggers on the local host, run the way the Functions host runs them (host.json `extensions.queues`):
// poll with exponential back-off up to maxPollingInterval while the queue is empty; take up to batchSize
// messages, each hidden while its function runs; delete a message when the function succeeds; when it throws,
// make the message visible again after visibilityTimeout, and once it has been dequeued maxDequeueCount times,
// move it to `<queue>-poison`. Messages are base64-decoded (messageEncoding) and parsed when they are JSON.
// One difference: an in-flight message is hidden for 30 s at a time (LOCAL_QUEUE_IN_FLIGHT_SECONDS; renewed at a
// third of that while the function runs) rather than the Functions host's 10 minutes, so a crashed local host's
// messages come back sooner.
import { InvocationContext } from '@azure/functions';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { randomUUID } from 'node:crypto';
import { QueueFunctionDeclaration } from '../src/routing/declarations';
import { decodeMessage, queueClient } from '../src/stores/queues';
import type { Log } from './server';

export interface QueueOptions {
  batchSize: number;
  maxDequeueCount: number;
  /** Milliseconds. */
  maxPollingInterval: number;
  /** Milliseconds a failed message stays hidden before it is tried again. */
  visibilityTimeout: number;
  messageEncoding: 'base64' | 'none';
  /** Seconds a message being handled stays hidden; renewed at a third of that while its function runs. */
  inFlightSeconds: number;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  batchSize: 16,
  maxDequeueCount: 5,
  maxPollingInterval: 60_000,
  visibilityTimeout: 0,
  messageEncoding: 'base64',
  inFlightSeconds: 30,
};

const MIN_POLLING_MS = 100;

/** LOCAL_QUEUE_IN_FLIGHT_SECONDS when a whole number of seconds from 1, else 30. */
export function inFlightSecondsOf(raw: string | undefined): number {
  const seconds = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isInteger(seconds) && seconds >= 1 ? seconds : DEFAULT_QUEUE_OPTIONS.inFlightSeconds;
}

/** A host.json TimeSpan ("00:00:02") or a number of milliseconds. */
function milliseconds(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const m =
    typeof value === 'string' ? /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value) : null;
  if (!m) return fallback;
  const [, days, h, min, s, frac] = m;
  const ms = frac ? Number(`0.${frac}`) * 1000 : 0;
  return (((Number(days ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000 + ms;
}

/** The queue options of host.json's `extensions.queues`, with the Functions host's defaults. */
export function queueOptionsOf(hostJson: {
  extensions?: { queues?: Record<string, unknown> };
}): QueueOptions {
  const q = hostJson.extensions?.queues ?? {};
  const int = (v: unknown, fallback: number, max: number) =>
    typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max ? v : fallback;
  return {
    batchSize: int(q.batchSize, DEFAULT_QUEUE_OPTIONS.batchSize, 32),
    maxDequeueCount: int(q.maxDequeueCount, DEFAULT_QUEUE_OPTIONS.maxDequeueCount, 1000),
    maxPollingInterval: Math.max(
      MIN_POLLING_MS,
      milliseconds(q.maxPollingInterval, DEFAULT_QUEUE_OPTIONS.maxPollingInterval),
    ),
    visibilityTimeout: milliseconds(q.visibilityTimeout, DEFAULT_QUEUE_OPTIONS.visibilityTimeout),
    messageEncoding: q.messageEncoding === 'none' ? 'none' : 'base64',
    inFlightSeconds: DEFAULT_QUEUE_OPTIONS.inFlightSeconds,
  };
}

export interface QueueRunner {
  close(): Promise<void>;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

function runOne(fn: QueueFunctionDeclaration, options: QueueOptions, log: Log): QueueRunner {
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = MIN_POLLING_MS;
  let failing = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  async function invoke(queue: QueueClient, message: DequeuedMessageItem): Promise<void> {
    const invocationId = randomUUID();
    const say = (level: 'information' | 'warning' | 'error', text: string) =>
      log(level, fn.name, invocationId, text);
    let popReceipt = message.popReceipt;
    if (message.dequeueCount > options.maxDequeueCount) {
      await toPoison(queue, message, popReceipt);
      say(
        'warning',
        `message ${message.messageId} moved to ${fn.queueName}-poison (dequeued ${message.dequeueCount} times)`,
      );
      return;
    }
    const invocation = new InvocationContext({
      invocationId,
      functionName: fn.name,
      logHandler: (level, ...args) => log(level, fn.name, invocationId, args.map(String).join(' ')),
      triggerMetadata: {
        id: message.messageId,
        popReceipt: message.popReceipt,
        dequeueCount: message.dequeueCount,
        insertionTime: message.insertedOn.toISOString(),
        expirationTime: message.expiresOn.toISOString(),
        nextVisibleTime: message.nextVisibleOn.toISOString(),
      },
    });
    // Keep the message hidden while the function runs.
    const renew = setInterval(
      () => {
        queue
          .updateMessage(message.messageId, popReceipt, undefined, options.inFlightSeconds)
          .then((r) => {
            if (r.popReceipt) popReceipt = r.popReceipt;
          })
          .catch(() => undefined);
      },
      (options.inFlightSeconds * 1000) / 3,
    );
    let failure: unknown;
    try {
      const text = message.messageText;
      await fn.handler(
        options.messageEncoding === 'base64' ? decodeMessage(text) : parseJson(text),
        invocation,
      );
    } catch (err) {
      failure = err ?? new Error('failed');
    } finally {
      clearInterval(renew);
    }
    if (failure === undefined) {
      await queue.deleteMessage(message.messageId, popReceipt);
      return;
    }
    say(
      'error',
      `function failed on message ${message.messageId} (dequeue count ${message.dequeueCount}): ${errorText(failure)}`,
    );
    if (message.dequeueCount >= options.maxDequeueCount) {
      await toPoison(queue, message, popReceipt);
      say(
        'warning',
        `message ${message.messageId} moved to ${fn.queueName}-poison after ${message.dequeueCount} attempts`,
      );
    } else {
      await queue.updateMessage(
        message.messageId,
        popReceipt,
        undefined,
        Math.round(options.visibilityTimeout / 1000),
      );
    }
  }

  async function toPoison(
    queue: QueueClient,
    message: DequeuedMessageItem,
    popReceipt: string,
  ): Promise<void> {
    const poison = await queueClient(`${fn.queueName}-poison`);
    await poison.sendMessage(message.messageText, { messageTimeToLive: -1 });
    await queue.deleteMessage(message.messageId, popReceipt);
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      let received = 0;
      try {
        const queue = await queueClient(fn.queueName);
        const batch = await queue.receiveMessages({
          numberOfMessages: options.batchSize,
          visibilityTimeout: options.inFlightSeconds,
        });
        received = batch.receivedMessageItems.length;
        if (failing) log('information', fn.name, '-', `queue ${fn.queueName} reachable again`);
        failing = false;
        await Promise.all(
          batch.receivedMessageItems.map((m) =>
            invoke(queue, m).catch((err: unknown) =>
              log('error', fn.name, '-', `queue message handling failed: ${errorText(err)}`),
            ),
          ),
        );
      } catch (err) {
        if (!failing) log('warning', fn.name, '-', `queue ${fn.queueName} unreachable: ${errorText(err)}`);
        failing = true;
      }
      // Like the Functions host: poll again at once after messages, else back off towards maxPollingInterval.
      delay = received > 0 ? MIN_POLLING_MS : Math.min(delay * 2, options.maxPollingInterval);
      if (received === 0 && !stopped) await sleep(delay);
    }
  }

  const running = loop();
  return {
    close: async () => {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      // Messages still being handled are not waited for long: unfinished, they come back (and are retried).
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Starts a poller per queue trigger. */
export function startQueueTriggers(
  functions: readonly QueueFunctionDeclaration[],
  options: QueueOptions,
  log: Log,
): QueueRunner {
  const runners = functions.map((fn) => runOne(fn, options, log));
  return { close: async () => void (await Promise.all(runners.map((r) => r.close()))) };
}
