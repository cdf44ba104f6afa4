import { SetMetadata } from '@nestjs/common';

export const STREAM_THROTTLE = 'throttle:stream';

/** Puts a route under the stricter per-user limit for starting generations (they cost provider money). */
export const StreamThrottle = () => SetMetadata(STREAM_THROTTLE, true);
