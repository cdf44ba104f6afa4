import { isWellFormedText } from '@app/common';
import { isEmail, ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * class-validator's isEmail, made total: it threw URIError on a lone surrogate (its checks decode the address
 * with decodeURIComponent), which turned a bad registration into a 500. Ill-formed text is never an address, and
 * whatever else it throws on is not one either.
 */
export function isEmailAddress(value: unknown): boolean {
  if (typeof value !== 'string' || !isWellFormedText(value)) return false;
  try {
    return isEmail(value);
  } catch {
    return false;
  }
}

export const IsEmailAddress = (options?: ValidationOptions) =>
  ValidateBy({ name: 'isEmailAddress', validator: { validate: isEmailAddress, defaultMessage: () => '$property must be a valid e-mail address' } }, options);
