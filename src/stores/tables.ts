// Table Storage: a connection string (Azurite locally), or an endpoint reached with DefaultAzureCredential
// (managed identity in Azure). The SDK loads on first use so importing the app stays fast.
import type { TableClient } from '@azure/data-tables';
import { settings } from '../settings';
import { defaultCredential } from '../shared/azureCredential';

export type TablesKind = 'connection-string' | 'managed-identity';

export interface TablesTarget {
  kind: TablesKind;
  /** For logs and health: the endpoint, never the key. */
  endpoint: string;
}

export function tablesTarget(): TablesTarget {
  const s = settings();
  if (s.tablesConnectionString) {
    const endpoint = /TableEndpoint=([^;]+)/i.exec(s.tablesConnectionString)?.[1];
    const account = /AccountName=([^;]+)/i.exec(s.tablesConnectionString)?.[1];
    return {
      kind: 'connection-string',
      endpoint: endpoint ?? `https://${account ?? '?'}.table.core.windows.net`,
    };
  }
  if (s.tablesEndpoint) return { kind: 'managed-identity', endpoint: s.tablesEndpoint };
  throw new Error('Table Storage is not configured: set TABLES_CONNECTION_STRING or TABLES_ENDPOINT.');
}

/** The SDK module, loaded on first use (for `odata` and the client classes). */
export function tablesSdk(): Promise<typeof import('@azure/data-tables')> {
  return import('@azure/data-tables');
}

const clients = new Map<string, Promise<TableClient>>();

async function createClient(table: string): Promise<TableClient> {
  const { TableClient } = await tablesSdk();
  const s = settings();
  // The SDK retries a 5xx or a network error three times, after up to 1, 2 and 4 s unless told otherwise.
  const retry =
    s.tablesRetryDelayMs === undefined ? {} : { retryOptions: { retryDelayInMs: s.tablesRetryDelayMs } };
  const client = s.tablesConnectionString
    ? TableClient.fromConnectionString(s.tablesConnectionString, table, {
        allowInsecureConnection: true,
        ...retry,
      })
    : new TableClient(tablesTarget().endpoint, table, await defaultCredential(), retry);
  try {
    await client.createTable();
  } catch (err) {
    // 409: it exists already, which is the usual case.
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
  return client;
}

/** A client for `table`, created (with its table) once per process. */
export function tableClient(table: string): Promise<TableClient> {
  let client = clients.get(table);
  if (!client) {
    client = createClient(table);
    clients.set(table, client);
    // A failure (storage down at start-up) must not stick: the next call tries again.
    client.catch(() => clients.delete(table));
  }
  return client;
}

/** Status 404/409/412 of a Table Storage error, or undefined for anything else. */
export function tableErrorStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: number }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
