import { Module } from '@nestjs/common';
import { PresetsController } from './presets.controller.js';
import { PresetsService } from './presets.service.js';

/** A user's named session settings; a new chat session can start from one (`presetId`). */
@Module({
  controllers: [PresetsController],
  providers: [PresetsService],
  exports: [PresetsService],
})
export class PresetsModule {}
