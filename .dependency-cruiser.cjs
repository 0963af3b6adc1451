// The import rules of the layers (docs/ARCHITECTURE.md, "The rules"), checked by `npm run lint` (so `npm test`).
// A folder is a folder of files: src/platforms (the families' kernel), src/platforms/meta and
// src/platforms/registry are three. Type-only imports count.
const HTTP = '^src/(http|handlers|routing|auth)/';
// src/platforms/<family>/; the other folders under src/platforms are what families share (module: the shape of
// a family; reporting: the report vocabulary) and the registry that lists them.
const FAMILY = '^src/platforms/(?!registry/|reporting/|module/)([^/]+)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'Two folders that import each other, directly or round a loop, are one layer in two places.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-file-cycles',
      severity: 'error',
      from: { path: '^(src|functions|host|scripts)/' },
      to: { circular: true },
    },
    {
      name: 'src-imports-no-entry-points',
      comment: 'src/ is the app; functions/, host/, scripts/ and test/ use it, never the reverse.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(functions|host|scripts|test)/' },
    },
    {
      name: 'families-stand-alone',
      comment:
        'A family (src/platforms/<family>) imports no other family and not the registry that lists them; ' +
        'what families share is in src/platforms (the kernel), src/platforms/module and reporting, src/catalog, src/oauth.',
      severity: 'error',
      from: { path: FAMILY },
      to: { path: '^src/platforms/[^/]+/', pathNot: '^src/platforms/($1|reporting|module)/' },
    },
    {
      name: 'stores-and-secrets-know-no-http',
      comment: 'Stores and the secret store answer in their own terms; HTTP is the layers above.',
      severity: 'error',
      from: { path: '^src/(stores|secrets)/' },
      to: { path: `${HTTP}|^src/(openapi|services|platforms|platformHttp|oauth)/` },
    },
    {
      name: 'http-conventions-know-no-platform',
      comment:
        'The HTTP conventions (src/http) are the same for every route; platform code is below the services.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(platforms|platformHttp|oauth|services|handlers)/' },
    },
    {
      name: 'platforms-know-no-http',
      comment:
        'Families, the OAuth engine, the platform client and the catalog throw domain errors ' +
        '(src/shared/errors.ts); src/http/errors.ts maps them to statuses.',
      severity: 'error',
      from: { path: '^src/(platforms|platformHttp|oauth|catalog)/' },
      to: { path: `${HTTP}|^src/(services|stores|secrets)/` },
    },
    {
      name: 'services-know-no-http',
      comment:
        'Services throw domain errors (src/shared/errors.ts) and return data; the handlers and src/http ' +
        'turn them into responses.',
      severity: 'error',
      from: { path: '^src/(services|events|webhooks)/' },
      to: { path: HTTP },
    },
    {
      name: 'shared-is-neutral',
      comment: 'src/shared holds helpers every layer may use; it imports nothing else of the app.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'fakes-are-independent',
      comment: 'The fakes are an independent check of the platforms: nothing of src/ reaches them.',
      severity: 'error',
      from: { path: '^test/fakes/' },
      to: { path: '^src/' },
    },
  ],
  options: {
    includeOnly: '^(src|functions|host|scripts|test)/',
    tsConfig: { fileName: 'tsconfig.test.json' },
    tsPreCompilationDeps: true,
  },
};
