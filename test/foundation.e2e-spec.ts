import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { bootTestApp, MAIN_JS, TEST_ENV, type TestApp } from './helpers/test-app.js';
import { createTestDatabase } from './helpers/test-database.js';

function startWith(env: Record<string, string>) {
  return spawnSync(process.execPath, [MAIN_JS], {
    env: { PATH: process.env.PATH, ...TEST_ENV, PGLITE_DATA_DIR: 'memory://', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('start-up (e2e)', () => {
  // Each variable's rule is covered by libs/common/src/config/validate-config.spec.ts; this proves the process refuses.
  it('refuses to start with an invalid variable, exits 1 and names it', () => {
    // --trace-exit reports any call of process.exit(): the process ends by its event loop draining, the exit that
    // cannot deadlock (apps/api/src/process-exit.ts).
    const result = startWith({ PORT: 'abc', NODE_OPTIONS: '--trace-exit' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration: PORT');
    expect(result.stderr).not.toContain('Exited the environment');
  });

  it('exits 1 when its port is taken, once what it had started is closed', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    try {
      const result = startWith({ PORT: String((taken.address() as AddressInfo).port), NODE_OPTIONS: '--trace-exit' });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('EADDRINUSE');
      // Its app was closed (database, timers): nothing kept the process open for a forced exit.
      expect(result.stderr).not.toContain('Exited the environment');
    } finally {
      taken.close();
    }
  });
});

// One server for these, in order: each start costs seconds of CPU. It is the second start on its database, so the
// first test shows what a restart kept; the last one stops it.
describe('a running server (e2e)', () => {
  let app: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    const database = await createTestDatabase();
    const first = await bootTestApp({}, database);
    user = await registerUser(first);
    await first.close({ dropDatabase: false });
    app = await bootTestApp({}, database);
  });
  afterAll(() => app?.close());

  it('keeps data across a restart on the same database', async () => {
    const login = await app.http().post('/api/auth/login').send({ email: user.email, password: user.password });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(user.id);
  });

  it('answers liveness and readiness probes without a token', async () => {
    const live = await app.http().get('/api/health').expect(200);
    expect(live.body.status).toBe('ok');
    const ready = await app.http().get('/api/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');
  });

  it('queues a burst of 1,000 connections that arrive while it is busy, then serves every one', async () => {
    const burst = 1000;
    const sockets: Socket[] = [];
    try {
      // A stopped server accepts nothing: only the kernel's queue for it (the listen backlog) can take the burst.
      app.process.kill('SIGSTOP');
      const port = Number(new URL(app.url).port);
      let connected = 0;
      for (let i = 0; i < burst; i++) {
        const socket = connect(port, '127.0.0.1', () => connected++);
        socket.on('error', () => undefined);
        sockets.push(socket);
      }
      for (let waited = 0; connected < burst && waited < 3000; waited += 50) await new Promise((done) => setTimeout(done, 50));
      expect(connected).toBe(burst);

      app.process.kill('SIGCONT');
      const statuses = await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<string>((done) => {
              let response = '';
              socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
              socket.on('close', () => done(response.split('\r\n')[0]!));
              socket.write('GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
            }),
        ),
      );
      expect(new Set(statuses)).toEqual(new Set(['HTTP/1.1 200 OK']));
    } finally {
      app.process.kill('SIGCONT');
      sockets.forEach((socket) => socket.destroy());
    }
  });

  it('shuts down cleanly on SIGTERM, after serving all that', async () => {
    expect(await app.stop('SIGTERM')).toBe(0);
  });
});
