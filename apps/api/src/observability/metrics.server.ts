import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { appConfig } from '@app/common';
import { httpUrl } from '../http/http-url.js';
import { scrapeAllowed } from './metrics-token.js';
import { MetricsService } from './metrics.service.js';

/**
 * With METRICS_PORT set: GET /metrics on that port of HOST, apart from the API, so that a deployment exposes the
 * API port to its proxy and keeps the metrics port for the scraper (a Kubernetes Service or a compose network
 * that only the scraper reaches). A plain Node server: nothing of the API (auth, throttling, logging) applies.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.metricsPort === undefined) return;
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') return void response.writeHead(404).end();
      if (!scrapeAllowed(this.config.metricsToken, request.headers.authorization)) return void response.writeHead(401).end();
      this.metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'Content-Type': this.metrics.registry.contentType, 'Cache-Control': 'no-store' }).end(text),
        () => response.writeHead(500).end(),
      );
    });
    server.listen(this.config.metricsPort, this.config.host);
    await once(server, 'listening');
    this.server = server;
    this.logger.log(`Metrics on ${httpUrl(server.address() as AddressInfo)}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((done) => (this.server ? this.server.close(done) : done(undefined)));
  }
}
