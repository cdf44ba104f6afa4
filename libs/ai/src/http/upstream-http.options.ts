import type { AllowedUpstreamHost } from '@app/common';

export interface UpstreamHttpOptions {
  allowHttp: boolean;
  allowedHosts: AllowedUpstreamHost[];
  connectTimeoutMs: number;
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  totalTimeoutMs: number;
  /** The most bytes one server-sent event may take while it is read. */
  maxEventBytes: number;
}

export const UPSTREAM_HTTP_OPTIONS = Symbol('UPSTREAM_HTTP_OPTIONS');
