import type { NextFunction, Request, Response } from 'express';
import type { MetricsService } from './metrics.service.js';

/** The matched route's pattern (`/api/chat/sessions/:id`), never the raw URL, which would carry ids; null when none matched. */
export function routeOf(req: Pick<Request, 'baseUrl' | 'route'>): string | null {
  return req.route ? `${req.baseUrl}${(req.route as { path: string }).path}` : null;
}

/** Times every request by its route pattern. */
export function httpMetrics(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpDuration.startTimer();
    res.once('close', () => {
      end({ method: req.method, route: routeOf(req) ?? 'unmatched', status: String(res.statusCode) });
    });
    next();
  };
}
