// Loaded into the local host by `npm run soak` (node --require): prints the host's own memory every few
// seconds as one JSON line, so the soak can follow RSS and heap of the process under load, not its own.
const everyMs = Number(process.env.SOAK_PROBE_MS ?? 5000);
setInterval(() => {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ event: 'soak_memory', rss, heapUsed, heapTotal, external })}\n`);
}, everyMs).unref();
