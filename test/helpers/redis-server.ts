import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { Requirement } from './suite-requirements.js';
import { freePort } from './test-app.js';

/** Whether `redis-server` can be started here: suites that take Redis away need their own. */
export const REDIS_SERVER: Requirement = {
  available: !spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error,
  missing: 'no redis-server binary on PATH: needs one of its own to kill',
};

/**
 * A Redis of the suite's own, on a free port, that the suite may kill and start again on the same port (the
 * shared one must never be touched). In memory only: a restart comes back empty, as after a crash.
 */
export class OwnRedis {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again, on the same port) and resolves once it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
    });
  }

  /** SIGKILL, as a crash: every connection drops at once. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
