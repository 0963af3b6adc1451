// A real OpenID issuer on loopback for the tests (oauth2-mock-server, an independent implementation, run as
// its own process because it is ESM-only). Tokens come from POST /token (client_credentials) with a `claims`
// form field of JSON merged into the payload (null deletes a claim).
//
// Commands arrive on stdin as JSON lines {id, cmd, …}; each answer is a JSON line {id, …}:
// - add-key: generates and publishes a new signing key → {kid}
// - sign {kid, claims}: a token signed by that key, with the same default claims as POST /token → {token}
// - jwks {mode}: how GET /jwks answers from now on: "ok", "down" (500) or "stall" (never answers) → {}
// - stats: → {jwksRequests} (how many times /jwks was asked for)
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { OAuth2Server } from 'oauth2-mock-server';

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.service.on('beforeTokenSigning', (token, req) => {
  const claims = JSON.parse((req.body && req.body.claims) || '{}');
  for (const [name, value] of Object.entries(claims)) {
    if (value === null) delete token.payload[name];
    else token.payload[name] = value;
  }
});

let jwksMode = 'ok';
let jwksRequests = 0;
const stalled = new Set();
// The library's own handler serves everything; only /jwks is counted and can be made to fail.
const http = createServer((req, res) => {
  if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/jwks') {
    jwksRequests += 1;
    if (jwksMode === 'down') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"server_error"}');
      return;
    }
    if (jwksMode === 'stall') {
      stalled.add(res);
      return;
    }
  }
  server.service.requestHandler(req, res);
});
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
server.issuer.url = `http://localhost:${http.address().port}`;
process.stdout.write(`${JSON.stringify({ url: server.issuer.url })}\n`);

async function run(command) {
  switch (command.cmd) {
    case 'add-key':
      return { kid: (await server.issuer.keys.generate('RS256')).kid };
    case 'sign': {
      const token = await server.issuer.buildToken({
        kid: command.kid,
        scopesOrTransform: (_header, payload) => {
          for (const [name, value] of Object.entries(command.claims ?? {})) {
            if (value === null) delete payload[name];
            else payload[name] = value;
          }
        },
      });
      return { token };
    }
    case 'jwks':
      jwksMode = command.mode;
      if (jwksMode !== 'stall') {
        for (const res of stalled) res.destroy();
        stalled.clear();
      }
      return {};
    case 'stats':
      return { jwksRequests };
    default:
      return { error: `unknown command ${command.cmd}` };
  }
}

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  const answer = await run(command).catch((err) => ({ error: String(err) }));
  process.stdout.write(`${JSON.stringify({ id: command.id, ...answer })}\n`);
});
process.stdin.on('end', () => {
  for (const res of stalled) res.destroy();
  http.closeAllConnections();
  http.close(() => process.exit(0));
});
