// `npm run token`: a bearer token from the local host's development issuer.
// Options: --tenant <guid> --scope "<scopes>" --roles "<roles>" --expires-in <seconds>
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

async function main(): Promise<void> {
  const port = process.env.PORT || '7071';
  const form = new URLSearchParams();
  for (const [flag, field] of [
    ['tenant', 'tenant'],
    ['scope', 'scope'],
    ['roles', 'roles'],
    ['expires-in', 'expires_in'],
    ['audience', 'audience'],
  ] as const) {
    const value = option(flag);
    if (value !== undefined) form.set(field, value);
  }
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

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
