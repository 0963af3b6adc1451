// Looks for secrets in plaintext where they must never be: files on disk (what Azurite wrote) and logs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The secrets found in any file under `dir` (raw bytes, or base64 of them). */
export function secretsOnDisk(dir: string, secrets: string[]): string[] {
  const contents = filesUnder(dir).map((f) => readFileSync(f).toString('latin1'));
  return secrets.filter((s) =>
    contents.some((c) => c.includes(s) || c.includes(Buffer.from(s).toString('base64'))),
  );
}

export function secretsInText(text: string, secrets: string[]): string[] {
  return secrets.filter((s) => text.includes(s));
}
