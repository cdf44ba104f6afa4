import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Logger, Patch, Put, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { Origin, type RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { AuthResponseDto, mapSession, mapUser, UserResponseDto } from '../auth/dto/auth-response.dto.js';
import { LoginThrottle } from '../throttling/throttle.decorators.js';
import { AccountExportService } from './account-export.service.js';
import { AccountService } from './account.service.js';
import { AccountExportDto } from './dto/account-export.dto.js';
import { ChangePasswordDto, DeleteAccountDto, UpdateProfileDto } from './dto/account-requests.dto.js';

/** The signed-in user's own account, under /api/auth/me beside the profile it reads. */
@ApiTags('auth')
@ApiBearerAuth()
@Controller('auth')
export class AccountController {
  private readonly logger = new Logger(AccountController.name);

  constructor(
    private readonly account: AccountService,
    private readonly exports: AccountExportService,
  ) {}

  /** Throttled as login is: the current password can be guessed here. */
  @LoginThrottle()
  @Put('password')
  @ApiOkResponse({ type: AuthResponseDto, description: 'Changed; every other sign-in is ended, and this is a fresh pair for this device' })
  @ApiForbiddenResponse({ description: 'The current password is not correct (`CURRENT_PASSWORD_INCORRECT`)' })
  @ApiConflictResponse({ description: 'A single sign-on account has no password (`PASSWORD_NOT_SET`)' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts; see Retry-After' })
  async changePassword(@CurrentUser() user: AuthUser, @Body() dto: ChangePasswordDto, @Origin() origin: RequestOrigin): Promise<AuthResponseDto> {
    return mapSession(await this.account.changePassword(user, dto.currentPassword, dto.newPassword, origin));
  }

  @Patch('me')
  @ApiOkResponse({ type: UserResponseDto })
  async updateProfile(@CurrentUser() user: AuthUser, @Body() dto: UpdateProfileDto): Promise<UserResponseDto> {
    return mapUser(await this.account.updateProfile(user, dto.displayName));
  }

  @LoginThrottle()
  @Delete('me')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The account and everything it owns are deleted; its tokens, keys and streams end at once' })
  @ApiForbiddenResponse({ description: 'An account with a password must confirm with it (`CURRENT_PASSWORD_INCORRECT`)' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts; see Retry-After' })
  async deleteAccount(@CurrentUser() user: AuthUser, @Body() dto: DeleteAccountDto, @Origin() origin: RequestOrigin): Promise<void> {
    await this.account.deleteAccount(user, dto.password, origin);
  }

  @Get('me/export')
  @ApiProduces('application/json')
  @ApiOkResponse({ type: AccountExportDto, description: 'Everything the account holds, as a JSON attachment, streamed' })
  @ApiConflictResponse({ description: 'An export of this account is already running (`EXPORT_IN_PROGRESS`)' })
  async export(@CurrentUser() user: AuthUser, @Res() response: Response): Promise<void> {
    const document = await this.exports.open(user.id);
    response.status(HttpStatus.OK);
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Content-Disposition', `attachment; filename="account-export-${new Date().toISOString().slice(0, 10)}.json"`);
    response.setHeader('Cache-Control', 'no-store');
    try {
      await pipeline(document, response);
    } catch (error) {
      // Headers are out: all that is left is to cut the response short (the client sees invalid JSON) and log why.
      if (!response.writableFinished) this.logger.warn({ err: error, userId: user.id }, 'The account export ended early');
    }
  }
}
