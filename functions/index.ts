// The Functions host's entry (package.json "main"): registers every declared function.
import { app } from '@azure/functions';
import { azureHandlerOf } from '../src/routing/azureHandler';
import { fallbackFunction, functions } from './routes';

app.setup({ enableHttpStream: false });

for (const fn of [...functions, fallbackFunction]) {
  if (fn.kind === 'http') {
    app.http(fn.name, {
      methods: fn.methods,
      route: fn.route,
      authLevel: 'anonymous',
      handler: azureHandlerOf(fn),
    });
  } else {
    app.timer(fn.name, { schedule: fn.schedule, handler: (_timer, invocation) => fn.handler(invocation) });
  }
}
