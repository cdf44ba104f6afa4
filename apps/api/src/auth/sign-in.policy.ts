import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AppError, signInConfig } from '@app/common';
import { normaliseEmail, type UserRole } from '@app/persistence';

/** The deployment's rules on who may sign in how and who may create an account (AUTH_PASSWORD_LOGIN, REGISTRATION, ADMIN_EMAILS). */
@Injectable()
export class SignInPolicy {
  private readonly adminEmails: ReadonlySet<string>;

  constructor(@Inject(signInConfig.KEY) private readonly config: ConfigType<typeof signInConfig>) {
    this.adminEmails = new Set(config.adminEmails);
  }

  /** Refuses password login, and password registration with it, on a deployment that signs in through SSO only. */
  assertPasswordLogin(): void {
    if (!this.config.passwordLogin) throw new AppError('PASSWORD_LOGIN_DISABLED', 'Password sign-in is turned off here: sign in through single sign-on');
  }

  /** Refuses self-registration with a password when REGISTRATION (or AUTH_PASSWORD_LOGIN) does not allow it for this address. */
  assertMayRegister(email: string): void {
    this.assertPasswordLogin();
    const { registration, registrationDomains } = this.config;
    if (registration === 'closed') throw new AppError('REGISTRATION_CLOSED', 'Registration is closed: ask an administrator for access');
    const domain = normaliseEmail(email).split('@').pop()!;
    if (registration === 'domains' && !registrationDomains.includes(domain)) {
      throw new AppError('REGISTRATION_CLOSED', 'Registration is open to some e-mail domains only, and not to this one');
    }
  }

  /** ADMIN_EMAILS: the role an account with this address gets when it registers or signs in through SSO (address verified). */
  isBootstrapAdmin(email: string): boolean {
    return this.adminEmails.has(normaliseEmail(email));
  }

  roleAtRegistration(email: string): UserRole {
    return this.isBootstrapAdmin(email) ? 'admin' : 'member';
  }
}
