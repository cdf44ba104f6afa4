import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { parseAppConfig } from '../libs/common/src/config/app.config.js';
import { parseUpstreamConfig } from '../libs/common/src/config/upstream.config.js';
import { validateConfig } from '../libs/common/src/config/validate-config.js';
import { configVariables, GIVEN_SECRETS } from '../test/helpers/config-variables.js';
import { execForm, readDockerfile } from '../test/helpers/dockerfile.js';
import { NGINX_TEMPLATE, nginxTemplateVariables } from '../test/helpers/nginx.js';

/**
 * The deployment files checked against each other and against the app: every manifest parses, every name, port,
 * probe path and variable they refer to exists. (The image recipe runs in test/image-recipe.e2e-spec.ts, the nginx
 * configuration in test/nginx-proxy.e2e-spec.ts.)
 */
type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [field: string]: any };

const K8S = 'deploy/k8s';
const manifestFiles = readdirSync(K8S).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
const manifests: Manifest[] = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((document) => {
    if (document.errors.length) throw new Error(`${file}: ${document.errors.map(String).join('; ')}`);
    return document.toJS() as Manifest;
  }),
);
const one = (kind: string): Manifest => {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const packageScripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
/** `npm run <name>`'s command as an argv, for comparison with the exec forms of the image, compose and the manifests. */
const scriptArgv = (name: string) => packageScripts[name]!.split(' ');
const knownVariables = configVariables();
const SHUTDOWN_GRACE_MS_DEFAULT = parseAppConfig(GIVEN_SECRETS).shutdownGraceMs;

describe('deploy/k8s', () => {
  const deployment = one('Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const configMap = one('ConfigMap');
  const secret = one('Secret');
  const portNamed = (name: string) => container.ports.find((port: { name: string }) => port.name === name)?.containerPort as number | undefined;

  it('parses, and kustomization.yaml lists every manifest', () => {
    const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual([...manifestFiles].sort());
    for (const manifest of manifests) expect(manifest).toEqual(expect.objectContaining({ apiVersion: expect.any(String), kind: expect.any(String), metadata: expect.objectContaining({ name: expect.any(String) }) }));
  });

  it('sets only variables of the configuration schema, and values the server accepts in production', () => {
    const keys = [...Object.keys(configMap.data), ...Object.keys(secret.stringData)];
    expect(keys.filter((key) => !knownVariables.has(key))).toEqual([]);
    const env = { ...configMap.data, DATABASE_URL: 'postgres://chat@postgres:5432/chat', REDIS_URL: 'redis://redis:6379', ...GIVEN_SECRETS };
    expect(() => validateConfig(env)).not.toThrow();
    expect(parseAppConfig(env)).toEqual(expect.objectContaining({ nodeEnv: 'production', apiDocs: false, redisUrl: 'redis://redis:6379' }));
  });

  it('ships the Secret empty, so that a forgotten value stops the server instead of running with a published one', () => {
    expect(Object.values(secret.stringData).every((value) => value === '')).toBe(true);
    expect(() => validateConfig({ ...configMap.data, ...secret.stringData })).toThrow(/JWT_SECRET is required/);
  });

  it('gives the pods the ConfigMap and the Secret, and the ports the configuration names', () => {
    const sources = (spec: { containers: { envFrom: { configMapRef?: { name: string }; secretRef?: { name: string } }[] }[] }) =>
      spec.containers[0]!.envFrom.map((source) => source.configMapRef?.name ?? source.secretRef?.name);
    expect(sources(pod)).toEqual([configMap.metadata.name, secret.metadata.name]);
    const app = parseAppConfig({ ...configMap.data, ...GIVEN_SECRETS });
    expect(portNamed('http')).toBe(app.port);
    expect(portNamed('metrics')).toBe(app.metricsPort);
  });

  it('probes readiness on /api/health/ready and liveness on /api/health, on the API port', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/api/health/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/api/health', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/api/health', port: 'http' });
  });

  it('waits out the preStop delay and SHUTDOWN_GRACE_MS before the kubelet kills a pod', () => {
    const [sleep, seconds] = container.lifecycle.preStop.exec.command as string[];
    expect(sleep).toBe('sleep');
    expect(Number(seconds)).toBeGreaterThan(0);
    const graceMs = Number(configMap.data.SHUTDOWN_GRACE_MS ?? SHUTDOWN_GRACE_MS_DEFAULT);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(seconds) * 1000 + graceMs);
  });

  it('runs the migration Job with the image, configuration and command of the rest of the deployment', () => {
    const job = one('Job').spec.template.spec;
    expect(job.containers[0].image).toBe(container.image);
    expect(job.containers[0].envFrom).toEqual(container.envFrom);
    expect(job.containers[0].command).toEqual(scriptArgv('migrate:prod'));
    expect(configMap.data.DATABASE_MIGRATIONS_RUN).toBe('false');
    expect(pod.securityContext.runAsNonRoot && job.securityContext.runAsNonRoot).toBe(true);
  });

  it('routes the Service, the Ingress, the autoscaler and the disruption budget to the Deployment', () => {
    const labels = deployment.spec.template.metadata.labels;
    expect(labels).toEqual(expect.objectContaining(deployment.spec.selector.matchLabels));
    const service = one('Service');
    expect(labels).toEqual(expect.objectContaining(service.spec.selector));
    for (const port of service.spec.ports) expect(portNamed(port.targetPort)).toBeDefined();

    const backend = one('Ingress').spec.rules[0].http.paths[0].backend.service;
    expect(backend.name).toBe(service.metadata.name);
    expect(service.spec.ports.map((port: { name: string }) => port.name)).toContain(backend.port.name);
    expect(backend.port.name).toBe('http');

    const hpa = one('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    // Resource utilisation is measured against requests: without a CPU request the autoscaler has nothing to go on.
    expect(container.resources.requests.cpu).toBeDefined();

    const pdb = one('PodDisruptionBudget');
    expect(labels).toEqual(expect.objectContaining(pdb.spec.selector.matchLabels));
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
  });
});

describe('deploy/compose.yaml', () => {
  const compose = parse(readFileSync('deploy/compose.yaml', 'utf8'), { merge: true }) as { services: Record<string, any> };
  const { services } = compose;
  /** Compose's interpolation, with every variable given a value: `${NAME:-default}`, `${NAME:?error}`, `${NAME}`. */
  const interpolate = (value: string) => value.replace(/\$\{(\w+)(?::[-?][^}]*)?\}/g, (_, name: string) => (name in GIVEN_SECRETS ? GIVEN_SECRETS[name]! : `x${name.toLowerCase()}`));
  const apiEnv = (service: string) => Object.fromEntries(Object.entries(services[service].environment as Record<string, string>).map(([key, value]) => [key, interpolate(String(value))]));

  it('has PostgreSQL, Redis, a one-shot migration, two API replicas and nginx', () => {
    expect(Object.keys(services).sort()).toEqual(['api-1', 'api-2', 'migrate', 'nginx', 'postgres', 'redis']);
  });

  it('configures the replicas and the migration with variables of the schema, values the server accepts', () => {
    for (const service of ['api-1', 'api-2', 'migrate']) {
      const env = apiEnv(service);
      expect(Object.keys(env).filter((key) => !knownVariables.has(key))).toEqual([]);
      expect(() => validateConfig(env)).not.toThrow();
      expect(env.DATABASE_MIGRATIONS_RUN).toBe('false');
    }
  });

  it('migrates once, before the replicas start, with the command of the image and of the Kubernetes Job', () => {
    expect(services.migrate.command).toEqual(scriptArgv('migrate:prod'));
    expect(services.migrate.restart).toBe('no');
    for (const replica of ['api-1', 'api-2']) {
      expect(services[replica].depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
      expect(services[replica].command).toBeUndefined();
    }
    expect(services.migrate.depends_on.postgres).toEqual({ condition: 'service_healthy' });
  });

  it('gives the replicas longer than SHUTDOWN_GRACE_MS to stop', () => {
    const seconds = Number(/^(\d+)s$/.exec(services['api-1'].stop_grace_period)![1]);
    expect(seconds * 1000).toBeGreaterThan(Number(apiEnv('api-1').SHUTDOWN_GRACE_MS));
  });

  it('puts nginx in front of both replicas, on their API port, with the shipped template', () => {
    const port = parseAppConfig(apiEnv('api-1')).port;
    expect(services.nginx.environment).toEqual(expect.objectContaining({ API_1: `api-1:${port}`, API_2: `api-2:${port}` }));
    expect([...nginxTemplateVariables(readFileSync(NGINX_TEMPLATE, 'utf8'))].sort()).toEqual(Object.keys(services.nginx.environment).sort());
    const [source, target] = (services.nginx.volumes[0] as string).split(':');
    expect(target).toBe('/etc/nginx/templates');
    expect(existsSync(join('deploy', source!, 'default.conf.template'))).toBe(true);
    expect(Object.values(services.nginx.depends_on)).toEqual([{ condition: 'service_healthy' }, { condition: 'service_healthy' }]);
  });
});

describe('deploy/nginx', () => {
  const template = readFileSync(NGINX_TEMPLATE, 'utf8');
  const directive = (name: string) => [...template.matchAll(new RegExp(`^\\s*${name}\\s+([^;]+);`, 'gm'))].map((match) => match[1]!.trim());

  it('keeps streams unbuffered, reads long enough for a whole reply and reuses upstream connections', () => {
    expect(directive('proxy_buffering')).toEqual(['off']);
    expect(directive('proxy_ignore_headers').join(' ')).not.toContain('X-Accel-Buffering');
    expect(directive('proxy_http_version')).toEqual(['1.1']);
    expect(directive('proxy_set_header')).toContain('Connection ""');
    expect(directive('keepalive').length).toBe(1);
    const hours = Number(/^(\d+)h$/.exec(directive('proxy_read_timeout')[0]!)![1]);
    const upstream = parseUpstreamConfig(GIVEN_SECRETS);
    expect(hours * 3_600_000).toBeGreaterThanOrEqual(upstream.totalTimeoutMs);
  });
});

describe('Dockerfile', () => {
  const runtime = readDockerfile('Dockerfile').at(-1)!;
  const instruction = (keyword: string) => runtime.instructions.filter((found) => found.keyword === keyword).at(-1)!.args;

  it("runs the server as `npm run start:prod` does, not `npm start`, which would build", () => {
    expect(execForm(instruction('CMD'))).toEqual(scriptArgv('start:prod'));
    expect(packageScripts.start).toContain('npm run build');
  });

  it('checks its health on /api/health and stops on SIGTERM', () => {
    expect(instruction('HEALTHCHECK')).toContain('/api/health`');
    expect(instruction('STOPSIGNAL')).toBe('SIGTERM');
  });
});
