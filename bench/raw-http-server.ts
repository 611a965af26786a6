import { createServer } from 'node:http';

/**
 * The raw HTTP floor: the smallest server that answers the benchmark's POST with a small JSON
 * body, listening like the service (same backlog), so the difference is the service's own cost.
 */
const BODY = JSON.stringify({ userId: 1, balance: 9998, version: 2 });

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(BODY),
    });
    response.end(BODY);
  });
});

server.listen({ port: Number(process.env.PORT), backlog: 4096 }, () =>
  process.send?.('listening'),
);
