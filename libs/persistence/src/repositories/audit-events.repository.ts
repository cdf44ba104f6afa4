import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AuditEventEntity } from '../entities/audit-event.entity.js';

export type NewAuditEvent = Pick<AuditEventEntity, 'actor' | 'action' | 'target' | 'clientAddress' | 'requestId' | 'detail'>;

/** What an administrator narrows the log to; every field optional. */
export interface AuditEventFilter {
  actor?: string;
  action?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** The id of the last event of the previous page: the listing continues with older ones. */
  beforeId?: string;
}

@Injectable()
export class AuditEventsRepository {
  constructor(@InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>) {}

  async append(event: NewAuditEvent): Promise<void> {
    await this.events.insert(event);
  }

  /** Newest first by id (the insertion order); fetches one extra row so the caller knows whether a next page exists. */
  list(filter: AuditEventFilter, limit: number): Promise<AuditEventEntity[]> {
    const query = this.events
      .createQueryBuilder('e')
      .orderBy('e.id', 'DESC')
      .limit(limit + 1);
    if (filter.actor !== undefined) query.andWhere('e.actor = :actor', { actor: filter.actor });
    if (filter.action !== undefined) query.andWhere('e.action = :action', { action: filter.action });
    if (filter.from) query.andWhere('e.at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('e.at < :to', { to: filter.to });
    if (filter.beforeId !== undefined) query.andWhere('e.id < :beforeId', { beforeId: filter.beforeId });
    return query.getMany();
  }
}
