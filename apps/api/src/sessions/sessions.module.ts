import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [GenerationsModule, FilesModule],
  controllers: [SessionsController],
  providers: [SessionsService],
  exports: [SessionsService],
})
export class SessionsModule {}
