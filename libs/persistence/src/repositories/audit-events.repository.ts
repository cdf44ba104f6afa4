import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AuditEventEntity } from '../entities/audit-event.entity.js';

export type NewAuditEvent = Pick<AuditEventEntity, 'actor' | 'action' | 'target' | 'clientAddress' | 'requestId' | 'detail'>;

@Injectable()
export class AuditEventsRepository {
  constructor(@InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>) {}

  async append(event: NewAuditEvent): Promise<void> {
    await this.events.insert(event);
  }
}
