import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { type PresetEntity, type PresetFields, PresetsRepository } from '@app/persistence';
import { decodeCursor, encodeCursor } from '../http/page-cursor.js';

/** Presets one user may have. */
export const MAX_PRESETS_PER_USER = 100;

export interface PresetPage {
  presets: PresetEntity[];
  nextCursor: string | null;
}

@Injectable()
export class PresetsService {
  constructor(private readonly presets: PresetsRepository) {}

  async list(userId: string, limit: number, cursor?: string): Promise<PresetPage> {
    const rows = await this.presets.listOwned(userId, limit, cursor ? decodeCursor(cursor) : undefined);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { presets: page, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
  }

  async get(userId: string, presetId: string): Promise<PresetEntity> {
    const preset = await this.presets.findOwned(userId, presetId);
    if (!preset) throw new AppError('PRESET_NOT_FOUND', 'Preset not found');
    return preset;
  }

  async create(userId: string, fields: PresetFields & { name: string }): Promise<PresetEntity> {
    const preset = await this.presets.createOwned(userId, fields, MAX_PRESETS_PER_USER);
    if (!preset) throw new AppError('PRESET_LIMIT_REACHED', `You already have ${MAX_PRESETS_PER_USER} presets: delete one first`);
    return preset;
  }

  async update(userId: string, presetId: string, fields: PresetFields): Promise<PresetEntity> {
    const preset = await this.presets.updateOwned(userId, presetId, fields);
    if (!preset) throw new AppError('PRESET_NOT_FOUND', 'Preset not found');
    return preset;
  }

  async remove(userId: string, presetId: string): Promise<void> {
    if (!(await this.presets.deleteOwned(userId, presetId))) throw new AppError('PRESET_NOT_FOUND', 'Preset not found');
  }
}
