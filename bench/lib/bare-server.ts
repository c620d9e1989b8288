/**
 * The machine's HTTP floor, run as its own process like omicsd: a bare node:http server.
 *   echo        POST: parses the JSON body and answers with it, re-serialised (the StartRunBatch limit)
 *   json FILE   GET: answers every request with JSON.stringify of the object in FILE (the GetRun limit)
 */
import fs from 'node:fs';
import http from 'node:http';

const [mode, file] = process.argv.slice(2);
const doc = mode === 'json' ? JSON.parse(fs.readFileSync(file!, 'utf8')) : undefined;

const send = (res: http.ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const server = http.createServer((req, res) => {
  if (mode === 'json') {
    req.resume();
    req.on('end', () => send(res, 200, JSON.stringify(doc)));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      send(res, 200, JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    } catch (err) {
      send(res, 400, JSON.stringify({ message: String(err) }));
    }
  });
});
// Same keep-alive behaviour as the Fastify server omicsd uses (72 s).
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address() as { port: number };
  process.stdout.write(`bare listening on http://127.0.0.1:${addr.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
