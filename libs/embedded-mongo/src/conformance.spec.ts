import { afterAll, beforeAll, describe } from 'vitest';
import { defineConformanceSuite } from './conformance-suite.js';
import { EmbeddedMongoServer } from './index.js';

describe('embedded engine: MongoDB 7.0 behaviours of the driver specification tests', () => {
  let server: EmbeddedMongoServer;
  beforeAll(async () => {
    server = await EmbeddedMongoServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  defineConformanceSuite(() => server.uri);
});

const realUri = process.env.MONGODB_TEST_URI;

describe.skipIf(!realUri)('conformance suite against MONGODB_TEST_URI', () => {
  defineConformanceSuite(() => realUri ?? '');
});
