// The embedded Azurite table service: the npm package's own server classes, run in this process, with its
// data under .data/ so records survive a restart. Loaded only when no Table Storage is configured.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Azurite's well-known development account key (public; documented by Microsoft). */
const DEVSTORE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface EmbeddedAzurite {
  connectionString: string;
  port: number;
  close(): Promise<void>;
}

interface TableServerLike {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

type TableServerCtor = new (config: unknown) => TableServerLike;
type TableConfigurationCtor = new (...args: unknown[]) => unknown;

export interface AzuriteOptions {
  port?: number;
  /** Serve HTTPS with this certificate and key, and check bearer tokens (Azurite's `--oauth basic`). */
  https?: { certPath: string; keyPath: string };
}

/** Azurite's table service; in memory when `location` is undefined. */
export async function startAzurite(
  location: string | undefined,
  options: AzuriteOptions = {},
): Promise<EmbeddedAzurite> {
  const port = options.port ?? 0;
  if (location) await mkdir(location, { recursive: true });
  /* eslint-disable @typescript-eslint/no-require-imports */
  const TableServer = (require('azurite/dist/src/table/TableServer') as { default: TableServerCtor }).default;
  const TableConfiguration = (
    require('azurite/dist/src/table/TableConfiguration') as { default: TableConfigurationCtor }
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
  const actualPort = Number(/:(\d+)$/.exec(server.getHttpServerAddress())?.[1] ?? port);
  return {
    port: actualPort,
    connectionString:
      `DefaultEndpointsProtocol=${options.https ? 'https' : 'http'};AccountName=devstoreaccount1;AccountKey=${DEVSTORE_KEY};` +
      `TableEndpoint=${options.https ? 'https' : 'http'}://127.0.0.1:${actualPort}/devstoreaccount1;`,
    close: () => server.close(),
  };
}
