// GET /health: each dependency's state, 200 when all are up, 503 otherwise, so a load balancer can act on it;
// the platform API versions in use with their sunsets; and this instance's counters (numbers only: the route is
// anonymous). A version near or past its sunset makes the status `degraded` but keeps 200: it is a warning for
// an operator (change one setting), not an outage a load balancer should route around.
import { authenticate } from '../auth/authenticate';
import { RequestContext } from '../http/context';
import { ANSWER_HEADERS } from '../http/envelope';
import { apiVersionReport } from '../services/apiVersions';
import { counterSnapshot } from '../services/counters';
import { lastRepair } from '../services/repair';
import { settings } from '../settings';
import { tableClient, tablesTarget } from '../stores/tables';
import { secretStoreHealth } from '../secrets/health';

type DependencyState = { status: 'ok' | 'unavailable' | 'not_configured'; [detail: string]: unknown };

/** How long a dependency may take to answer before it counts as unavailable (HEALTH_CHECK_TIMEOUT_SECONDS). */
const checkTimeoutMs = () => {
  const seconds = Number(process.env.HEALTH_CHECK_TIMEOUT_SECONDS);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 3) * 1000;
};

async function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), checkTimeoutMs());
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function storageState(): Promise<DependencyState> {
  let target;
  try {
    target = tablesTarget();
  } catch {
    return { status: 'not_configured' };
  }
  try {
    await withTimeout(
      (async () => {
        const client = await tableClient('health');
        await client.listEntities().byPage({ maxPageSize: 1 }).next();
      })(),
    );
    return { status: 'ok', kind: target.kind, endpoint: target.endpoint };
  } catch {
    return { status: 'unavailable', kind: target.kind, endpoint: target.endpoint };
  }
}

function authState(): DependencyState {
  const { authority, audiences } = settings().auth;
  if (!authority || audiences.length === 0) return { status: 'not_configured' };
  return { status: 'ok', authority };
}

/**
 * The route is anonymous: to anyone who asks, each dependency shows its status only (no endpoint, account,
 * authority or key id); a caller with a valid token (read permission) sees the details too.
 */
async function mayShowDetails(ctx: RequestContext): Promise<boolean> {
  if (!ctx.request.headers.get('authorization')) return false;
  try {
    await authenticate(ctx, async () => ({}));
    return true;
  } catch {
    return false;
  }
}

function repairSnapshot() {
  const report = lastRepair();
  return report
    ? {
        checked_at: report.at,
        secret_missing: report.secretMissing,
        stray_versions_removed: report.strayVersions,
        abandoned_authorizations: report.abandoned,
      }
    : null;
}

export async function health(ctx: RequestContext) {
  const [storage, secrets] = await Promise.all([
    storageState(),
    withTimeout(secretStoreHealth()).catch((): DependencyState => ({ status: 'unavailable' })),
  ]);
  const states = { storage, secrets, auth: authState() };
  const healthy = Object.values(states).every((d) => d.status === 'ok');
  for (const [name, state] of Object.entries(states)) {
    if (state.status !== 'ok')
      ctx.invocation.warn(`health: ${name} is ${state.status}: ${JSON.stringify(state)}`);
  }
  const dependencies = (await mayShowDetails(ctx))
    ? states
    : Object.fromEntries(Object.entries(states).map(([name, state]) => [name, { status: state.status }]));
  const apiVersions = apiVersionReport();
  const versionsCurrent = apiVersions.every((v) => v.status === 'ok');
  return {
    status: healthy ? 200 : 503,
    headers: { ...ANSWER_HEADERS, 'x-request-id': ctx.requestId },
    jsonBody: {
      status: healthy && versionsCurrent ? 'ok' : 'degraded',
      dependencies,
      api_versions: apiVersions,
      counters: counterSnapshot(),
      // The sweep's last repair in this instance (counts only): records whose secret is missing need a person.
      repair: repairSnapshot(),
      metadata: { request_id: ctx.requestId },
    },
  };
}
