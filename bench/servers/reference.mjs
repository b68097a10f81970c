// The reference: a bare node:http server that reads the request body and answers 200.
// Run as a child process (fork); reports its port, then its request count when asked.
import { createServer } from 'node:http';
import process from 'node:process';

const ANSWER = '{"status":"ok"}';
let requests = 0;

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  let size = 0;
  request.on('data', (chunk) => (size += chunk.length));
  request.on('end', () => {
    requests++;
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
    response.end(ANSWER);
  });
});

process.on('message', (message) => {
  if (message?.cmd === 'stats') process.send({ id: message.id, stats: { requests } });
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port }));
