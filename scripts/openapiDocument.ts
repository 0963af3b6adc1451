// Writes the OpenAPI document the app serves at /api/v1/openapi.json, built from the compiled route table, to a
// file (default dist/openapi.json): what `npm run lint` lints with Redocly and generates the tests' client from.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { httpFunctions } from '../functions/routes';
import { openApiDocument } from '../src/openapi/document';

const target = resolve(process.argv[2] ?? 'dist/openapi.json');
mkdirSync(dirname(target), { recursive: true });
// The served document names PUBLIC_BASE_URL as its server; this one names the host that serves it ("/").
writeFileSync(target, `${JSON.stringify(openApiDocument(httpFunctions, '/'), null, 2)}\n`);
console.log(`wrote ${target}`);
