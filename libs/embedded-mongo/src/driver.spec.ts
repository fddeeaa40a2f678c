import { afterAll, beforeAll, describe } from 'vitest';
import { defineDriverSuite } from './driver-suite.js';
import { EmbeddedMongoServer } from './index.js';

describe('embedded engine through the mongodb driver and Mongoose', () => {
  let server: EmbeddedMongoServer;
  beforeAll(async () => {
    server = await EmbeddedMongoServer.start({ ttlMonitorIntervalMs: 100 });
  });
  afterAll(async () => {
    await server?.stop();
  });
  defineDriverSuite({ uri: () => server.uri, fastTtl: true });
});

const realUri = process.env.MONGODB_TEST_URI;
if (!realUri) {
  console.info('embedded-mongo: MONGODB_TEST_URI is not set; the same suite against a real MongoDB is skipped.');
}

describe.skipIf(!realUri)('against MONGODB_TEST_URI', () => {
  defineDriverSuite({ uri: () => realUri ?? '', fastTtl: false });
});
