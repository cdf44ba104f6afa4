import type { NextFunction, Request, Response } from 'express';
import onHeaders from 'on-headers';
import type { MetricsService } from './metrics.service.js';

/** The matched route's pattern (`/api/chat/sessions/:id`), never the raw URL, which would carry ids; null when none matched. */
export function routeOf(req: Pick<Request, 'baseUrl' | 'route'>): string | null {
  return req.route ? `${req.baseUrl}${(req.route as { path: string }).path}` : null;
}

/**
 * Times every request by its route pattern, twice: until its response's headers leave, and until it ends. The first
 * is also sent back with them, as `Server-Timing: app;dur=<ms>`. A streamed reply's headers leave once the upstream
 * request is made, so for a stream it is the gateway's own work before the provider is asked (sign-in, validation,
 * the turn's database read, routing, the budget): what a client's time to first token has on top of the provider's.
 */
export function httpMetrics(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction) => {
    const arrived = performance.now();
    const labels = () => ({ method: req.method, route: routeOf(req) ?? 'unmatched', status: String(res.statusCode) });
    onHeaders(res, () => {
      const ms = performance.now() - arrived;
      res.appendHeader('Server-Timing', `app;dur=${ms.toFixed(2)}`);
      metrics.timeToHeaders.observe(labels(), ms / 1000);
    });
    res.once('close', () => metrics.httpDuration.observe(labels(), (performance.now() - arrived) / 1000));
    next();
  };
}
