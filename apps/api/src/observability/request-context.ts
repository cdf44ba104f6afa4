import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/** The logger of the request being served, so every line logged on its behalf carries its request id. */
export const requestContext = new AsyncLocalStorage<{ log: Logger }>();
