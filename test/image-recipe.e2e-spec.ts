import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import request from 'supertest';
import { parse } from 'yaml';
import { MIGRATIONS } from '../libs/persistence/src/migrations/index.js';
import { registerUser } from './factories/user.factory.js';
import { envPairs, execForm, readDockerfile } from './helpers/dockerfile.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, POSTGRES } from './helpers/suite-requirements.js';
import { createEmptyTestDatabase, type TestDatabase } from './helpers/test-database.js';
import { freePort, TEST_ENV, type TestApp } from './helpers/test-app.js';

/**
 * The image without Docker (no daemon or registry here): the Dockerfile's runtime stage is performed step by step
 * in an empty directory outside the repository (ENV, COPY from the context or from the build stage, which is this
 * checkout's `npm run build` output, RUN, and the exact CMD). So the server runs on the production dependencies
 * alone: a runtime import of a dev dependency cannot resolve and fails the start. Then it must migrate a fresh
 * PostgreSQL database, pass the image's HEALTHCHECK, stream a reply and stop on STOPSIGNAL. Needs PostgreSQL
 * (TEST_DATABASE_URL); `npm ci` here takes about a minute from the npm cache.
 */
const onPostgres = describeWith(POSTGRES);
const run = promisify(execFile);

const stages = readDockerfile('Dockerfile');
const runtime = stages.at(-1)!;
const workdirOf = (stage: (typeof stages)[number]) => stage.instructions.find(({ keyword }) => keyword === 'WORKDIR')!.args;

const migrationCount = async (url: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query('SELECT count(*) AS n FROM migrations')).rows[0].n);
  } finally {
    await client.end();
  }
};

onPostgres("the image's runtime stage, performed without Docker (e2e)", () => {
  let root: string;
  const imageEnv: Record<string, string> = {};
  const seen: Record<string, string> = {};
  let cmd: string[] = [];
  let healthcheck: string[] = [];
  let db: TestDatabase;
  let server: ChildProcess;
  let output = '';
  let url: string;

  /** `docker run -e …`: what a deployment adds to the image's own environment. */
  const runEnv = (extra: Record<string, string>) => ({ PATH: process.env.PATH, HOME: process.env.HOME, ...imageEnv, ...extra });

  /** COPY [--from=<stage>] <src>… <dest>: the context is this checkout; a stage's WORKDIR is this checkout too (it copies it and builds). */
  const copy = (args: string) => {
    const words = args.split(/\s+/);
    const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
    const [dest, ...sources] = words.filter((word) => !word.startsWith('--')).reverse();
    const stageRoot = from ? workdirOf(stages.find(({ name }) => name === from)!) : undefined;
    for (const source of sources.reverse()) {
      const inCheckout = stageRoot ? resolve(source.replace(new RegExp(`^${stageRoot}/?`), '')) : resolve(source);
      const target = dest!.endsWith('/') ? join(root, dest!, basename(source)) : join(root, dest!);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(inCheckout, target, { recursive: true });
    }
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'image-recipe-'));
    // Nothing above the copy may lend it modules: Node looks for node_modules in every parent directory.
    for (let dir = dirname(root); dir !== dirname(dir); dir = dirname(dir)) expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    expect(existsSync(join('/', 'node_modules'))).toBe(false);

    for (const { keyword, args } of runtime.instructions) {
      seen[keyword] = args;
      if (keyword === 'ENV') Object.assign(imageEnv, envPairs(args));
      else if (keyword === 'COPY') copy(args);
      else if (keyword === 'RUN') {
        const command = args.replace(/^(--\S+\s+)+/, ''); // --mount=type=cache: the machine's npm cache plays that part
        await run('sh', ['-c', command], { cwd: root, env: runEnv({ npm_config_prefer_offline: 'true', npm_config_ignore_scripts: 'false' }), maxBuffer: 64 * 1024 * 1024 });
      } else if (keyword === 'HEALTHCHECK') healthcheck = execForm(args.slice(args.indexOf(' CMD ') + ' CMD '.length));
      else if (keyword === 'CMD') cmd = execForm(args);
      else if (!['WORKDIR', 'USER', 'EXPOSE', 'STOPSIGNAL'].includes(keyword)) throw new Error(`The recipe has ${keyword}, which this test does not perform`);
    }

    db = await createEmptyTestDatabase();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const secrets = { JWT_SECRET: TEST_ENV.JWT_SECRET, ENCRYPTION_KEY: TEST_ENV.ENCRYPTION_KEY, METRICS_TOKEN: 'image-recipe-metrics' };
    server = spawn(cmd[0]!, cmd.slice(1), { cwd: root, env: runEnv({ ...db.env, ...secrets, HOST: '127.0.0.1', PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`The image's CMD exited with ${server.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`The image's CMD was not ready within 90 s:\n${output}`);
      const ready = await fetch(`${url}/api/health/ready`).then((response) => response.status === 200, () => false);
      if (ready) break;
      await new Promise((done) => setTimeout(done, 200));
    }
  }, 600_000);

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await db?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('runs as a user other than root, stops on SIGTERM and exposes the port it listens on', () => {
    expect(seen.USER).toBeDefined();
    expect(['root', '0']).not.toContain(seen.USER!.split(':')[0]);
    expect(seen.STOPSIGNAL).toBe('SIGTERM');
    expect(seen.EXPOSE).toBe('3000');
    expect(imageEnv.NODE_ENV).toBe('production');
  });

  // typescript is there: @nestjs/swagger depends on it.
  it('holds the production dependencies only: no build or test tool', () => {
    for (const tool of ['jest', 'tsx', '@nestjs/cli', 'ts-jest', 'eslint']) expect(existsSync(join(root, 'node_modules', tool))).toBe(false);
    expect(existsSync(join(root, 'node_modules', '@nestjs/core'))).toBe(true);
  });

  it('migrated the fresh PostgreSQL database at start-up', async () => {
    expect(await migrationCount(db.env.DATABASE_URL!)).toBe(MIGRATIONS.length);
  });

  it("passes the image's HEALTHCHECK", async () => {
    await expect(run(healthcheck[0]!, healthcheck.slice(1), { cwd: root, env: runEnv({ PORT: new URL(url).port }) })).resolves.toBeDefined();
  });

  it('registers a user and streams a reply', async () => {
    const user = await registerUser({ http: () => request(url) } as TestApp);
    const reply = await readStream(`${url}/api/chat/stream`, { token: user.token, body: { message: 'Hello from the image', provider: 'echo' } });
    expect(reply.status).toBe(200);
    expect(reply.events.map(({ event }) => event)).toEqual(expect.arrayContaining(['session', 'message', 'done']));
    expect(reply.text).toContain('Hello from the image');
  });

  it('ends with exit code 0 on its STOPSIGNAL', async () => {
    const exited = new Promise<number | null>((done) => server.once('exit', (code) => done(code)));
    server.kill(seen.STOPSIGNAL as NodeJS.Signals);
    expect(await exited).toBe(0);
  });

  it("migrates a fresh database with deploy/compose.yaml's migration command (the Kubernetes Job's too)", async () => {
    const compose = parse(readFileSync('deploy/compose.yaml', 'utf8'), { merge: true });
    const command = compose.services.migrate.command as string[];
    const fresh = await createEmptyTestDatabase();
    try {
      await run(command[0]!, command.slice(1), { cwd: root, env: runEnv(fresh.env) });
      expect(await migrationCount(fresh.env.DATABASE_URL!)).toBe(MIGRATIONS.length);
    } finally {
      await fresh.drop();
    }
  });
});
