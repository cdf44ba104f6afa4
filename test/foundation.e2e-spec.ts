import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerUser } from './factories/user.factory.js';
import { bootTestApp, MAIN_JS, TEST_ENV } from './helpers/test-app.js';
import { createTestDatabase } from './helpers/test-database.js';

function startWith(env: Record<string, string>) {
  return spawnSync(process.execPath, [MAIN_JS], {
    env: { PATH: process.env.PATH, ...TEST_ENV, PGLITE_DATA_DIR: 'memory://', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('start-up and persistence (e2e)', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://nope' }, 'DATABASE_URL'],
    [{ ENCRYPTION_KEY: 'too-short' }, 'ENCRYPTION_KEY'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: '' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', ENCRYPTION_KEY: '' }, 'ENCRYPTION_KEY'],
    [{ CHAT_HISTORY_MAX_MESSAGES: '0' }, 'CHAT_HISTORY_MAX_MESSAGES'],
    [{ LISTEN_BACKLOG: '0' }, 'LISTEN_BACKLOG'],
    [{ ALLOWED_UPSTREAM_HOSTS: '127.0.0.1, 10.0.0.5:99999' }, 'ALLOWED_UPSTREAM_HOSTS'],
  ])('refuses to start with %j and names %s', (env, variable) => {
    const result = startWith(env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Invalid configuration: ${variable}`);
  });

  it('keeps data across a restart on the same database', async () => {
    const database =
      process.env.TEST_DATABASE_URL === undefined
        ? { kind: 'pglite' as const, env: { PGLITE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pglite-')) }, drop: async () => undefined }
        : await createTestDatabase();
    const first = await bootTestApp({}, database);
    const user = await registerUser(first);
    await first.close({ dropDatabase: false });

    const second = await bootTestApp({}, database);
    try {
      const login = await second.http().post('/api/auth/login').send({ email: user.email, password: user.password });
      expect(login.status).toBe(200);
      expect(login.body.user.id).toBe(user.id);
    } finally {
      await second.close();
      if (database.kind === 'pglite') rmSync(database.env.PGLITE_DATA_DIR!, { recursive: true, force: true });
    }
  });

  it('answers liveness and readiness probes without a token', async () => {
    const app = await bootTestApp();
    try {
      const live = await app.http().get('/api/health').expect(200);
      expect(live.body.status).toBe('ok');
      const ready = await app.http().get('/api/health/ready').expect(200);
      expect(ready.body.info.database.status).toBe('up');
    } finally {
      await app.close();
    }
  });

  it('queues a burst of 1,000 connections that arrive while it is busy, then serves every one', async () => {
    const burst = 1000;
    const app = await bootTestApp();
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
      await app.close();
    }
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const app = await bootTestApp();
    expect(await app.stop('SIGTERM')).toBe(0);
    await app.close();
  });
});
