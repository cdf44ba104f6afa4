import type { NextFunction, Request, Response } from 'express';
import onHeaders from 'on-headers';
import type { MetricsService } from './metrics.service.js';

/** The matched route's pattern (`/api/chat/sessions/:id`), never the raw URL, which would carry ids; null when none matched. */
export function routeOf(req: Pick<Request, 'baseUrl' | 'route'>): string | null {
  return req.route ? `${req.baseUrl}${(req.route as { path: string }).path}` : null;
}

const isEventStream = (res: Response) => String(res.getHeader('content-type') ?? '').startsWith('text/event-stream');

/**
 * Times every request by its route pattern, from when this middleware sees it (its body is read after) to its end;
 * and an event stream to its headers, which a route starting a reply sends once the upstream request is made: the
 * gateway's own work before the provider is asked (sign-in, throttling, validation, the turn's database read,
 * routing, the budget). That one is also sent with the headers, `Server-Timing: app;dur=<ms>`, so a client can tell
 * it from the provider's own time to first token. Only on streams: a JSON answer's time is the client's to measure,
 * and on a sign-in it would hand a caller the server's time without the network's noise.
 */
export function httpMetrics(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction) => {
    const arrived = performance.now();
    // Read when each is observed: routing has matched the request by then.
    const route = () => routeOf(req) ?? 'unmatched';
    onHeaders(res, () => {
      if (!isEventStream(res)) return;
      const ms = performance.now() - arrived;
      res.appendHeader('Server-Timing', `app;dur=${ms.toFixed(2)}`);
      metrics.streamSetup.observe({ route: route() }, ms / 1000);
    });
    res.once('close', () => {
      metrics.httpDuration.observe({ method: req.method, route: route(), status: String(res.statusCode) }, (performance.now() - arrived) / 1000);
    });
    next();
  };
}
