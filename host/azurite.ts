// The embedded Azurite table and queue services: the npm package's own server classes, run in this process,
// with their data under .data/ so records and queued messages survive a restart. Loaded only when no Table
// Storage is configured.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Azurite's well-known development account key (public; documented by Microsoft). */
const DEVSTORE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface EmbeddedAzurite {
  /** Names the table service, and the queue service when it runs (QueueEndpoint). */
  connectionString: string;
  port: number;
  queuePort?: number;
  close(): Promise<void>;
}

interface ServerLike {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

type ServerCtor = new (config: unknown) => ServerLike;
type ConfigurationCtor = new (...args: unknown[]) => unknown;

const portOf = (server: ServerLike, fallback: number) =>
  Number(/:(\d+)$/.exec(server.getHttpServerAddress())?.[1] ?? fallback);

/** Azurite's queue service beside the tables, with the same persistence, certificate and token checking. */
async function startQueueService(location: string | undefined, options: AzuriteOptions): Promise<ServerLike> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const QueueServer = (require('azurite/dist/src/queue/QueueServer') as { default: ServerCtor }).default;
  const QueueConfiguration = (
    require('azurite/dist/src/queue/QueueConfiguration') as { default: ConfigurationCtor }
  ).default;
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Positional: host, port, keepAlive, db path, extent db path, persistence locations, access log, access
  // stream, debug log, debug path, loose, skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl,
  // inMemoryPersistence.
  const config = new QueueConfiguration(
    '127.0.0.1',
    options.queuePort ?? 0,
    5,
    location ? join(location, '__azurite_db_queue__.json') : 'in-memory-queue',
    location ? join(location, '__azurite_db_queue_extent__.json') : 'in-memory-queue-extent',
    [{ locationId: 'Default', locationPath: join(location ?? '.', '__queuestorage__'), maxConcurrency: 1 }],
    false,
    undefined,
    false,
    undefined,
    false,
    true,
    options.https?.certPath ?? '',
    options.https?.keyPath ?? '',
    '',
    options.https ? 'basic' : undefined,
    false,
    location === undefined,
  );
  const server = new QueueServer(config);
  await server.start();
  return server;
}

export interface AzuriteOptions {
  port?: number;
  /** Run the queue service too (the local host always does; a test that needs no queue saves the work). */
  queue?: boolean;
  queuePort?: number;
  /** Serve HTTPS with this certificate and key, and check bearer tokens (Azurite's `--oauth basic`). */
  https?: { certPath: string; keyPath: string };
}

/** Azurite's table service, and its queue service when asked; in memory when `location` is undefined. */
export async function startAzurite(
  location: string | undefined,
  options: AzuriteOptions = {},
): Promise<EmbeddedAzurite> {
  const port = options.port ?? 0;
  if (location) await mkdir(location, { recursive: true });
  /* eslint-disable @typescript-eslint/no-require-imports */
  const TableServer = (require('azurite/dist/src/table/TableServer') as { default: ServerCtor }).default;
  const TableConfiguration = (
    require('azurite/dist/src/table/TableConfiguration') as { default: ConfigurationCtor }
  ).default;
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Positional: host, port, keepAlive, db path, debug log, access log, access stream, debug path, loose,
  // skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl, inMemoryPersistence.
  const config = new TableConfiguration(
    '127.0.0.1',
    port,
    5,
    location ? join(location, '__azurite_db_table__.json') : 'in-memory',
    false,
    false,
    undefined,
    undefined,
    false,
    true,
    options.https?.certPath ?? '',
    options.https?.keyPath ?? '',
    '',
    options.https ? 'basic' : undefined,
    false,
    location === undefined,
  );
  const server = new TableServer(config);
  await server.start();
  const queues = options.queue
    ? await startQueueService(location, options).catch(async (err: unknown) => {
        await server.close();
        throw err;
      })
    : undefined;
  const actualPort = portOf(server, port);
  const queuePort = queues ? portOf(queues, options.queuePort ?? 0) : undefined;
  const scheme = options.https ? 'https' : 'http';
  return {
    port: actualPort,
    queuePort,
    connectionString:
      `DefaultEndpointsProtocol=${scheme};AccountName=devstoreaccount1;AccountKey=${DEVSTORE_KEY};` +
      `TableEndpoint=${scheme}://127.0.0.1:${actualPort}/devstoreaccount1;` +
      (queues ? `QueueEndpoint=${scheme}://127.0.0.1:${queuePort}/devstoreaccount1;` : ''),
    close: async () => {
      await Promise.all([server.close(), queues?.close()]);
    },
  };
}
