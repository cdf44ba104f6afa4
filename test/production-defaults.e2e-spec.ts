import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase } from './helpers/test-database.js';
import { bootTestApp, freePort, type TestApp } from './helpers/test-app.js';

/** What NODE_ENV=production changes for an operator: no public docs, no public metrics, the real address logged. */
describe('production defaults (e2e)', () => {
  let api: TestApp;
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = await freePort();
    api = await bootTestApp({ NODE_ENV: 'production', HOST: '0.0.0.0', LOG_LEVEL: 'log', METRICS_PORT: String(metricsPort) });
  });
  afterAll(() => api.close());

  it('logs the address it listens on, every interface here, and its metrics port', () => {
    const port = new URL(api.url).port;
    expect(api.output()).toContain(`"msg":"Listening on http://0.0.0.0:${port}"`);
    expect(api.output()).toContain(`"msg":"Metrics on http://0.0.0.0:${metricsPort}/metrics"`);
  });

  it('serves no API docs unless API_DOCS says so', async () => {
    await api.http().get('/api/docs').expect(404);
    await api.http().get('/api/docs-json').expect(404);
  });

  it('serves metrics on their own port only', async () => {
    const { body } = await api.http().get('/metrics').expect(404);
    expect(body).toEqual(expect.objectContaining({ statusCode: 404 }));
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await scrape.text()).toContain('http_request_duration_seconds');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/api/health`)).status).toBe(404);
  });

  it('refuses to start in production with metrics public on the API port, naming the variables', async () => {
    const db = await createTestDatabase();
    try {
      await expect(bootTestApp({ NODE_ENV: 'production' }, db)).rejects.toThrow(/METRICS_TOKEN or METRICS_PORT is required when NODE_ENV=production/);
    } finally {
      await db.drop();
    }
  });

  it('serves the docs in production when API_DOCS=true, and metrics behind METRICS_TOKEN on the API port', async () => {
    const withDocs = await bootTestApp({ NODE_ENV: 'production', API_DOCS: 'true', METRICS_TOKEN: 'scrape-token-456' });
    try {
      await withDocs.http().get('/api/docs-json').expect(200);
      await withDocs.http().get('/metrics').expect(401);
      await withDocs.http().get('/metrics').set('Authorization', 'Bearer scrape-token-456').expect(200);
    } finally {
      await withDocs.close();
    }
  });
});
