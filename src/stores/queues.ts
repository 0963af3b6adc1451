// Azure Storage queues: QUEUES_CONNECTION_STRING, or QUEUES_ENDPOINT with DefaultAzureCredential (managed
// identity in Azure); when neither is set, the queue service of the tables' account. The SDK loads on first use.
// Messages are base64 text, the Functions host's default `messageEncoding` for queue triggers.
import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import { settings } from '../settings';
import { defaultCredential } from '../shared/azureCredential';

export type QueueTarget =
  | { kind: 'connection-string'; connectionString: string; endpoint: string }
  | { kind: 'managed-identity'; endpoint: string };

/** The queue service of an account named by a table endpoint: `.table.` becomes `.queue.`. */
function queueEndpointOfTables(tableEndpoint: string): string | undefined {
  const url = new URL(tableEndpoint);
  if (!/\.table\./i.test(url.hostname)) return undefined;
  url.hostname = url.hostname.replace(/\.table\./i, '.queue.');
  return url.toString().replace(/\/+$/, '');
}

function part(connectionString: string, name: string): string | undefined {
  return new RegExp(`(?:^|;)\\s*${name}=([^;]+)`, 'i').exec(connectionString)?.[1];
}

/** Where the queues are, from the settings; an Error naming the setting to add when it cannot be worked out. */
export function queueTarget(): QueueTarget {
  const s = settings();
  const { queuesConnectionString, queuesEndpoint } = s.webhooks;
  if (queuesConnectionString) return fromConnectionString(queuesConnectionString);
  if (queuesEndpoint) return { kind: 'managed-identity', endpoint: queuesEndpoint.replace(/\/+$/, '') };
  if (s.tablesConnectionString) return fromConnectionString(s.tablesConnectionString);
  const fromTables = s.tablesEndpoint ? queueEndpointOfTables(s.tablesEndpoint) : undefined;
  if (fromTables) return { kind: 'managed-identity', endpoint: fromTables };
  throw new Error('Queue storage is not configured: set QUEUES_CONNECTION_STRING or QUEUES_ENDPOINT.');
}

function fromConnectionString(connectionString: string): QueueTarget {
  const explicit = part(connectionString, 'QueueEndpoint');
  if (explicit) return { kind: 'connection-string', connectionString, endpoint: explicit };
  const tableEndpoint = part(connectionString, 'TableEndpoint');
  if (tableEndpoint) {
    // An account string that names only its table endpoint: the queue endpoint is its sibling, if it has one.
    const endpoint = queueEndpointOfTables(tableEndpoint);
    if (!endpoint) {
      throw new Error('The storage connection string names no QueueEndpoint: set QUEUES_CONNECTION_STRING.');
    }
    return {
      kind: 'connection-string',
      connectionString: `${connectionString};QueueEndpoint=${endpoint}`,
      endpoint,
    };
  }
  const account = part(connectionString, 'AccountName') ?? '?';
  const suffix = part(connectionString, 'EndpointSuffix') ?? 'core.windows.net';
  return { kind: 'connection-string', connectionString, endpoint: `https://${account}.queue.${suffix}` };
}

// Few, short tries: a send happens inside the request that made a change, and a failed send is kept and
// retried later (see the webhook outbox), so waiting long here would only slow that request down.
const PIPELINE = { retryOptions: { maxTries: 2, tryTimeoutInMs: 5_000, retryDelayInMs: 200 } };

let service: Promise<QueueServiceClient> | undefined;

async function serviceClient(): Promise<QueueServiceClient> {
  const { QueueServiceClient } = await import('@azure/storage-queue');
  const target = queueTarget();
  return target.kind === 'connection-string'
    ? QueueServiceClient.fromConnectionString(target.connectionString, PIPELINE)
    : new QueueServiceClient(target.endpoint, await defaultCredential(), PIPELINE);
}

const queues = new Map<string, Promise<QueueClient>>();

async function createQueue(name: string): Promise<QueueClient> {
  service ??= serviceClient();
  const client = (await service).getQueueClient(name);
  await client.createIfNotExists();
  return client;
}

/** A client for `name`, created (with its queue) once per process; a failure is not kept. */
export function queueClient(name: string): Promise<QueueClient> {
  let client = queues.get(name);
  if (!client) {
    client = createQueue(name);
    queues.set(name, client);
    client.catch(() => {
      queues.delete(name);
      service = undefined;
    });
  }
  return client;
}

export const encodeMessage = (value: unknown): string =>
  Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

/** A message's text as the Functions host hands it to a function: base64-decoded, JSON when it parses. */
export function decodeMessage(text: string): unknown {
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  try {
    return JSON.parse(decoded) as unknown;
  } catch {
    return decoded;
  }
}

/** Sends `value` to queue `name`, hidden for `delaySeconds` first. */
export async function sendMessage(name: string, value: unknown, delaySeconds = 0): Promise<void> {
  await (
    await queueClient(name)
  ).sendMessage(encodeMessage(value), {
    visibilityTimeout: Math.max(0, Math.round(delaySeconds)),
    // Kept until delivered: -1 is "never expires" (the default, 7 days, is shorter than a retry plan may be).
    messageTimeToLive: -1,
  });
}
