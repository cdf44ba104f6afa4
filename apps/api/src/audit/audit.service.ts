import { Injectable, Logger } from '@nestjs/common';
import { type AuditDetail, type AuditEventEntity, type AuditEventFilter, AuditEventsRepository } from '@app/persistence';
import type { AuditAction } from './audit-actions.js';
import type { RequestOrigin } from './request-origin.decorator.js';

export interface AuditEntry {
  /** A user id, or SYSTEM_ACTOR. */
  actor: string;
  action: AuditAction;
  target?: string | null;
  /** A few facts about the action; never a secret (no key, token, password or message text). */
  detail?: AuditDetail;
}

export interface AuditPage {
  events: AuditEventEntity[];
  /** The id to continue from (older events), or null on the last page. */
  nextCursor: string | null;
}

/** The longest text kept from a client-supplied field (an e-mail tried at login, say): the detail stays small. */
const MAX_DETAIL_TEXT = 320;

@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(private readonly events: AuditEventsRepository) {}

  /**
   * Writes the event, and never fails the request that caused it: an event that cannot be written (database
   * down) is logged instead, with everything it would have held.
   */
  async record(entry: AuditEntry, origin?: RequestOrigin): Promise<void> {
    const event = {
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      clientAddress: origin?.clientAddress?.slice(0, 64) ?? null,
      requestId: origin?.requestId?.slice(0, 64) ?? null,
      detail: entry.detail ? boundedDetail(entry.detail) : null,
    };
    try {
      await this.events.append(event);
    } catch (error) {
      this.logger.error({ audit: event, err: error }, 'Could not write an audit event');
    }
  }

  /** Newest first; `filter.beforeId` is the previous page's nextCursor. */
  async list(filter: AuditEventFilter, limit: number): Promise<AuditPage> {
    const rows = await this.events.list(filter, limit);
    const events = rows.slice(0, limit);
    return { events, nextCursor: rows.length > limit ? events.at(-1)!.id : null };
  }
}

/** Long texts cut, so a client-supplied value cannot make a row large. */
function boundedDetail(detail: AuditDetail): AuditDetail {
  return Object.fromEntries(Object.entries(detail).map(([key, value]) => [key, typeof value === 'string' ? value.slice(0, MAX_DETAIL_TEXT) : value]));
}
