// An Azurite table service (and queue service, when asked) for a test (the npm package, in this process), on
// disk in a temporary folder so tests can scan what it wrote.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzuriteOptions, startAzurite } from '../../host/azurite';

export interface TestAzurite {
  connectionString: string;
  location: string;
  close(): Promise<void>;
}

export async function startTestAzurite(options: AzuriteOptions = {}): Promise<TestAzurite> {
  const location = mkdtempSync(join(tmpdir(), 'st-azurite-'));
  const azurite = await startAzurite(location, options);
  return {
    connectionString: azurite.connectionString,
    location,
    close: async () => {
      await azurite.close();
      rmSync(location, { recursive: true, force: true });
    },
  };
}
