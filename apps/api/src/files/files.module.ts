import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { MulterModule } from '@nestjs/platform-express';
import { filesConfig } from '@app/common';
import { FilesController } from './files.controller.js';
import { FilesService } from './files.service.js';

/**
 * Uploads (images and PDFs) that chat messages attach. multer keeps an upload in memory (no storage engine: its
 * type is read from the bytes before anything is written), within limits on every part of the multipart body.
 */
@Module({
  imports: [
    MulterModule.registerAsync({
      inject: [filesConfig.KEY],
      useFactory: (config: ConfigType<typeof filesConfig>) => ({
        // Browsers and HTTP clients send file names in UTF-8 without saying so; busboy would read them as Latin-1.
        defParamCharset: 'utf8',
        limits: {
          fileSize: config.maxBytes,
          files: 1,
          fields: 4,
          fieldSize: 1024,
          fieldNameSize: 100,
          parts: 5,
          headerPairs: 20,
        },
      }),
    }),
  ],
  controllers: [FilesController],
  providers: [FilesService],
  exports: [FilesService],
})
export class FilesModule {}
