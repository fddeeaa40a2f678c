import Fastify from 'fastify';

/** The baseline of plugin-endpoints.bench.ts: a bare Fastify route answering the JSON body it was sent. */
const app = Fastify({ logger: false });
app.post('/echo', (request, reply) => reply.send(request.body));
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`LISTENING ${(app.server.address() as { port: number }).port}\n`);
