import { SetMetadata } from '@nestjs/common';

export const STREAM_THROTTLE = 'throttle:stream';
export const LOGIN_THROTTLE = 'throttle:login';

/** Puts a route under the stricter per-user limit for starting generations (they cost provider money). */
export const StreamThrottle = () => SetMetadata(STREAM_THROTTLE, true);

/** Puts a route under the password-guessing limits: per account and per client address. */
export const LoginThrottle = () => SetMetadata(LOGIN_THROTTLE, true);
