import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Requirement } from './suite-requirements.js';
import { freePort } from './test-app.js';

/** Debian's nginx (`.ci/run` installs nginx-light); a fresh machine without it skips the proxy suite. */
export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
export const NGINX: Requirement = { available: existsSync(NGINX_PATH), missing: `no nginx at ${NGINX_PATH}: apt-get install nginx-light (or set NGINX_PATH)` };

/** The shipped proxy configuration (compose mounts it into the nginx image, which renders it). */
export const NGINX_TEMPLATE = resolve('deploy/nginx/templates/default.conf.template');

/**
 * Renders a template as the nginx image does (envsubst limited to the variables it is given): `${NAME}` of a
 * given name is replaced, anything else, nginx's own `$host` and the like, is left as it is.
 */
export function renderNginxTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** The `${NAME}` placeholders of a template. */
export function nginxTemplateVariables(template: string): Set<string> {
  return new Set([...template.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((match) => match[1]!));
}

/**
 * Debian's nginx with the shipped template in front of two upstreams (host:port), on a free loopback port, in a
 * directory of its own. The main file around it stands in for the image's /etc/nginx/nginx.conf: one process in
 * the foreground (so requests take turns over the upstreams exactly), logs to stderr, temporary files here.
 */
export class TestNginx {
  private output = '';

  private constructor(
    readonly url: string,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static async start(upstreams: [string, string]): Promise<TestNginx> {
    const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
    const port = await freePort();
    const site = renderNginxTemplate(readFileSync(NGINX_TEMPLATE, 'utf8'), { API_1: upstreams[0], API_2: upstreams[1], NGINX_PORT: `127.0.0.1:${port}` });
    writeFileSync(join(dir, 'site.conf'), site);
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  include ${dir}/site.conf;
}
`,
    );
    const child = spawn(NGINX_PATH, ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const nginx = new TestNginx(`http://127.0.0.1:${port}`, dir, child);
    await nginx.waitForPort(port);
    return nginx;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((done) => this.child.once('exit', done));
      this.child.kill('SIGQUIT');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitForPort(port: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`nginx exited with ${this.child.exitCode}:\n${this.output}`);
      const open = await new Promise<boolean>((done) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.end();
          done(true);
        }).on('error', () => done(false));
      });
      if (open) return;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`nginx did not listen within 10 s:\n${this.output}`);
  }
}
