import { UuidParam } from '../http/uuid-param.decorator.js';

/** The `:id` of a session route. */
export const SessionId = () => UuidParam('id');
