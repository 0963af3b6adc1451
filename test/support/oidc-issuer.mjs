// A real OpenID issuer on loopback for the tests (oauth2-mock-server, an independent implementation, run as
// its own process because it is ESM-only). Tokens come from POST /token (client_credentials) with a `claims`
// form field of JSON merged into the payload (null deletes a claim). Reads commands on stdin: "add-key".
import { OAuth2Server } from 'oauth2-mock-server';
import { createInterface } from 'node:readline';

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.service.on('beforeTokenSigning', (token, req) => {
  const claims = JSON.parse((req.body && req.body.claims) || '{}');
  for (const [name, value] of Object.entries(claims)) {
    if (value === null) delete token.payload[name];
    else token.payload[name] = value;
  }
});
await server.start(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ url: server.issuer.url })}\n`);

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line.trim() === 'add-key') {
    const key = await server.issuer.keys.generate('RS256');
    process.stdout.write(`${JSON.stringify({ added: key.kid })}\n`);
  }
});
process.stdin.on('end', async () => {
  await server.stop();
  process.exit(0);
});
