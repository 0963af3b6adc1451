// The services' input types against the route contracts, checked by the compiler (npm run lint type-checks the
// tests): every body a route's schema lets through must be a value of the type its service takes, and that type
// names no field the schema lacks. The schema's
// side is the typed client's, generated from the served document; a service type narrower than its schema (a
// field the schema allows and the type lacks, an enum value the type does not know) fails to compile here.
import type { ConfigurationInput, ConfigurationPatchInput } from '../src/openapi/configurations';
import type { ConnectionInput, ReconnectInput } from '../src/openapi/connections';
import type { AccountInput, ExecuteInput, MessageInput, QueryInput } from '../src/openapi/operations';
import type { ReportsInput } from '../src/openapi/reports';
import type { WebhookInput } from '../src/openapi/webhooks';
import type { operations } from './support/openapi.generated';

/** The JSON body a route's schema admits, as the generated client types it. */
type Admitted<Name extends keyof operations> = operations[Name] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

/** Compiles only when every `Admitted` value is a `Taken` value. */
type Takes<Taken, _Admitted extends Taken> = true;

/** Every field name of any member of a union. */
type Fields<U> = U extends unknown ? keyof U : never;

/** true when the service's type names no field the schema lacks (a field only the code knows is drift too). */
type NoFieldBeyond<Taken, Admitted> = [Exclude<Fields<Taken>, Fields<Admitted>>] extends [never]
  ? true
  : false;

// Each line fails to compile when the service's type no longer takes what the contract lets through.
const takes: true[] = [
  true satisfies Takes<ConfigurationInput, Admitted<'configs-create'>>,
  true satisfies Takes<ConfigurationPatchInput, Admitted<'configs-patch'>>,
  true satisfies Takes<ConnectionInput, Admitted<'oauth-create'>>,
  true satisfies Takes<ReconnectInput, Admitted<'oauth-reconnect'>>,
  true satisfies Takes<WebhookInput, Admitted<'webhooks-create'>>,
  true satisfies Takes<AccountInput, Admitted<'operations-account'>>,
  true satisfies Takes<QueryInput, Admitted<'operations-query'>>,
  true satisfies Takes<ExecuteInput, Admitted<'operations-execute'>>,
  true satisfies Takes<MessageInput, Admitted<'operations-message'>>,
  true satisfies Takes<ReportsInput, Admitted<'reports'>>,
];

// Each line fails to compile when the service's type names a field the contract does not.
const knows: true[] = [
  true satisfies NoFieldBeyond<ConfigurationInput, Admitted<'configs-create'>>,
  true satisfies NoFieldBeyond<ConfigurationPatchInput, Admitted<'configs-patch'>>,
  true satisfies NoFieldBeyond<ConnectionInput, Admitted<'oauth-create'>>,
  true satisfies NoFieldBeyond<ReconnectInput, Admitted<'oauth-reconnect'>>,
  true satisfies NoFieldBeyond<WebhookInput, Admitted<'webhooks-create'>>,
  true satisfies NoFieldBeyond<AccountInput, Admitted<'operations-account'>>,
  true satisfies NoFieldBeyond<QueryInput, Admitted<'operations-query'>>,
  true satisfies NoFieldBeyond<ExecuteInput, Admitted<'operations-execute'>>,
  true satisfies NoFieldBeyond<MessageInput, Admitted<'operations-message'>>,
  true satisfies NoFieldBeyond<ReportsInput, Admitted<'reports'>>,
];

it('the services take every body their routes admit (checked when the tests are type-checked)', () => {
  expect([...takes, ...knows].every(Boolean)).toBe(true);
});
