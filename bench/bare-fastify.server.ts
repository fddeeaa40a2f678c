import Fastify from 'fastify';

/** The baseline: a bare Fastify route answering the same JSON as GET /api/auth/me/, no auth, no DB. */
const body = JSON.parse(process.env.BARE_BODY ?? '{}') as object;
const app = Fastify({ logger: false });
app.get('/api/auth/me/', (_request, reply) => reply.send(body));
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`LISTENING ${(app.server.address() as { port: number }).port}\n`);
