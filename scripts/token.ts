// `npm run token`: a bearer token from the local host's development issuer. Options go after `--`
// (npm keeps options before it for itself): npm run token -- --tenant <guid> --scope Connectors.Read
const USAGE = `Usage: npm run --silent token [-- options]

Prints a bearer token from the local host's development issuer (npm start or npm run sandbox, with no
AUTH_AUTHORITY set). The host is found on PORT (default 7071).

Options:
  --tenant <guid>         the token's tid (default 00000000-0000-4000-8000-000000000001)
  --scope "<scopes>"      space-separated delegated scopes (default Connectors.ReadWrite)
  --roles "<roles>"       application roles, e.g. Connectors.Read.All
  --expires-in <seconds>  lifetime (default 3600)
  --audience <aud>        the token's aud (default the host's AUTH_AUDIENCE)
  --help                  this text
`;

/** Flag → the form field the development issuer reads. */
const FLAGS: Record<string, string> = {
  tenant: 'tenant',
  scope: 'scope',
  roles: 'roles',
  'expires-in': 'expires_in',
  audience: 'audience',
};

class UsageError extends Error {}

/** Levenshtein distance, to tell a typo of a flag (--scopes) from something else npm was given. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * Options written before `--` never reach this script: npm keeps them as its own configuration and passes
 * them on as npm_config_<name>. One that is a token option, or looks like one, is refused rather than
 * silently ignored (a typo would otherwise mint a read-write token).
 */
function optionsNpmKept(env: NodeJS.ProcessEnv): string[] {
  if (env.npm_config_help === 'true') return ['help'];
  return Object.keys(env)
    .filter((k) => k.startsWith('npm_config_'))
    .map((k) => k.slice('npm_config_'.length).replace(/_/g, '-'))
    .filter((name) => Object.keys(FLAGS).some((flag) => distance(name, flag) <= 2));
}

/** The issuer's form fields from the arguments; undefined when --help was asked. */
export function parseTokenArgs(args: readonly string[], env: NodeJS.ProcessEnv): URLSearchParams | undefined {
  const kept = optionsNpmKept(env);
  if (kept.includes('help')) return undefined;
  if (kept.length > 0) {
    throw new UsageError(
      `npm took ${kept.map((k) => `--${k}`).join(', ')} for itself; put token options after "--": ` +
        'npm run --silent token -- --scope Connectors.Read',
    );
  }
  const form = new URLSearchParams();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') return undefined;
    const [flag, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s) : [undefined];
    const field = flag === undefined ? undefined : FLAGS[flag];
    if (!field) {
      const near = flag && Object.keys(FLAGS).find((f) => distance(flag, f) <= 2);
      throw new UsageError(`Unknown option ${arg}${near ? ` (did you mean --${near}?)` : ''}.`);
    }
    const value = inline ?? args[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${flag} needs a value.`);
    if (flag === 'expires-in' && !/^[1-9]\d{0,6}$/.test(value)) {
      throw new UsageError('--expires-in must be a whole number of seconds.');
    }
    form.set(field, value);
  }
  return form;
}

async function main(): Promise<void> {
  const form = parseTokenArgs(process.argv.slice(2), process.env);
  if (!form) {
    process.stdout.write(USAGE);
    return;
  }
  const port = process.env.PORT || '7071';
  let res: Response;
  try {
    res = await fetch(`http://127.0.0.1:${port}/.dev-issuer/token`, { method: 'POST', body: form });
  } catch {
    throw new Error(`Nothing answers on port ${port}: start the local host first (npm start).`);
  }
  if (res.status === 404) {
    throw new Error('The local host runs with a configured AUTH_AUTHORITY, so it has no development issuer.');
  }
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (!res.ok || !body.access_token) throw new Error(body.error ?? `The issuer answered ${res.status}.`);
  process.stdout.write(`${body.access_token}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    if (err instanceof UsageError) console.error(`\n${USAGE}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
