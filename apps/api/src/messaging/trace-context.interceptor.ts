import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import { context as otelContext, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, type TextMapGetter, trace } from '@opentelemetry/api';
import { type Observable, tap } from 'rxjs';
import { chatTracer } from '@app/ai';

/** The slice of a NATS message's headers that trace context needs. */
interface NatsHeaders {
  get(name: string): string;
  keys(): string[];
}

const natsHeaders: TextMapGetter<NatsHeaders | undefined> = {
  // An absent header reads as '' in NATS; the propagator wants undefined.
  get: (headers, name) => headers?.get(name) || undefined,
  keys: (headers) => headers?.keys() ?? [],
};

/**
 * One span per NATS message, continuing the caller's trace when the message carries W3C trace context
 * (`traceparent` header); everything the handler does (the generation, the database) runs inside it.
 */
@Injectable()
export class TraceContextInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const message = execution.switchToRpc().getContext<NatsContext>();
    const subject = message.getSubject();
    const parent = propagation.extract(ROOT_CONTEXT, message.getHeaders() as NatsHeaders | undefined, natsHeaders);
    const span = chatTracer.startSpan(
      `process ${subject}`,
      { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.operation.type': 'process' } },
      parent,
    );
    // Nest binds the handler's call to the async context it is built in: building it inside the span's context is enough.
    return otelContext.with(trace.setSpan(parent, span), () => next.handle()).pipe(
      tap({
        error: (error: { code?: string }) => {
          span.setAttribute('error.type', error?.code ?? 'internal_error');
          span.setStatus({ code: SpanStatusCode.ERROR });
        },
        finalize: () => span.end(),
      }),
    );
  }
}
