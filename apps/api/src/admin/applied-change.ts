import { AppError } from '@app/common';
import type { GuardedChange } from '@app/persistence';

/** The change's result, or the error that says why it was not made (no such account, or it is the last admin). */
export function appliedChange<T>(change: GuardedChange<T>): T {
  if (change.outcome === 'not_found') throw new AppError('USER_NOT_FOUND', 'User not found');
  if (change.outcome === 'last_admin') {
    throw new AppError('LAST_ADMIN', 'This is the last enabled admin: promote another account before demoting, disabling or deleting it');
  }
  return change.result;
}
