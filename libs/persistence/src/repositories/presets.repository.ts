import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { PresetEntity } from '../entities/preset.entity.js';
import type { SessionSettings } from './chat-sessions.repository.js';
import type { KeysetPosition } from './keyset-position.js';

const PRESET_COLUMNS = `id, user_id AS "userId", name, system_prompt AS "systemPrompt", provider, model, temperature,
  max_output_tokens AS "maxOutputTokens", reasoning, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** A preset's fields as written: its name and settings; null clears a setting. */
export interface PresetFields extends Omit<SessionSettings, 'provider' | 'model'> {
  name?: string;
  provider?: string | null;
  model?: string | null;
}

/** Column and cast of every writable field; `reasoning` goes in as JSON text. */
const WRITABLE: Record<keyof PresetFields, string> = {
  name: 'name',
  systemPrompt: 'system_prompt',
  provider: 'provider',
  model: 'model',
  temperature: 'temperature::double precision',
  maxOutputTokens: 'max_output_tokens::integer',
  reasoning: 'reasoning::jsonb',
};

/** The fields given, as column names and numbered, cast placeholders after `params`. */
function writes(fields: PresetFields, params: unknown[]): { column: string; value: string }[] {
  return (Object.keys(WRITABLE) as (keyof PresetFields)[])
    .filter((key) => fields[key] !== undefined)
    .map((key) => {
      const [column, cast] = WRITABLE[key].split('::') as [string, string | undefined];
      const raw = key === 'reasoning' ? fields.reasoning && JSON.stringify(fields.reasoning) : fields[key];
      return { column, value: `$${params.push(raw)}${cast ? `::${cast}` : ''}` };
    });
}

@Injectable()
export class PresetsRepository {
  constructor(@InjectRepository(PresetEntity) private readonly presets: Repository<PresetEntity>) {}

  /**
   * Oldest first; fetches one extra row so the caller knows whether a next page exists. Ordered by the creation
   * time to the millisecond, as the cursor carries it (a JavaScript Date), so no row repeats across pages.
   */
  listOwned(userId: string, limit: number, after?: KeysetPosition): Promise<PresetEntity[]> {
    const params: unknown[] = [userId];
    const created = `date_trunc('milliseconds', created_at)`;
    const keyset = after ? ` AND (${created}, id) > ($${params.push(after.at)}::timestamptz, $${params.push(after.id)}::uuid)` : '';
    return this.presets.manager.query(
      `SELECT ${PRESET_COLUMNS} FROM presets WHERE user_id = $1${keyset} ORDER BY ${created}, id LIMIT $${params.push(limit + 1)}`,
      params,
    );
  }

  async findOwned(userId: string, presetId: string): Promise<PresetEntity | null> {
    const rows: PresetEntity[] = await this.presets.manager.query(`SELECT ${PRESET_COLUMNS} FROM presets WHERE id = $1 AND user_id = $2`, [presetId, userId]);
    return rows[0] ?? null;
  }

  /** Null when the user already has `max` presets: counted in the same statement. */
  async createOwned(userId: string, fields: PresetFields & { name: string }, max: number): Promise<PresetEntity | null> {
    const params: unknown[] = [userId, max];
    const given = writes(fields, params);
    const rows: PresetEntity[] = await this.presets.manager.query(
      `INSERT INTO presets (user_id, ${given.map((write) => write.column).join(', ')})
       SELECT $1, ${given.map((write) => write.value).join(', ')} WHERE (SELECT count(*) FROM presets WHERE user_id = $1) < $2
       RETURNING ${PRESET_COLUMNS}`,
      params,
    );
    return rows[0] ?? null;
  }

  /** Changes the fields given; null when there is no such preset of the user. */
  async updateOwned(userId: string, presetId: string, fields: PresetFields): Promise<PresetEntity | null> {
    const params: unknown[] = [presetId, userId];
    const sets = writes(fields, params).map((write) => `${write.column} = ${write.value}`);
    const [rows] = (await this.presets.manager.query(
      `UPDATE presets SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 AND user_id = $2 RETURNING ${PRESET_COLUMNS}`,
      params,
    )) as [PresetEntity[], number];
    return rows[0] ?? null;
  }

  async deleteOwned(userId: string, presetId: string): Promise<boolean> {
    const result = await this.presets.delete({ id: presetId, userId });
    return (result.affected ?? 0) > 0;
  }
}
