import { Param, ParseUUIDPipe } from '@nestjs/common';

/** A route parameter that must be a UUID (400 otherwise, before any lookup). */
export const UuidParam = (name: string) => Param(name, new ParseUUIDPipe({ version: undefined }));
