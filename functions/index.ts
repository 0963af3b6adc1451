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
  } else if (fn.kind === 'timer') {
    app.timer(fn.name, { schedule: fn.schedule, handler: (_timer, invocation) => fn.handler(invocation) });
  } else {
    app.storageQueue(fn.name, { queueName: fn.queueName, connection: fn.connection, handler: fn.handler });
  }
}
