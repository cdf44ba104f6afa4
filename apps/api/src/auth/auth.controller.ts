import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Origin, type RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from './auth-user.js';
import { AuthService } from './auth.service.js';
import { CurrentUser } from './current-user.decorator.js';
import { AuthResponseDto, mapSession, mapUser, UserResponseDto } from './dto/auth-response.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RefreshTokenDto } from './dto/refresh-token.dto.js';
import { RegisterDto } from './dto/register.dto.js';
import { LoginThrottle } from '../throttling/throttle.decorators.js';
import { Public } from './public.decorator.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiConflictResponse({ description: 'E-mail already registered' })
  @ApiForbiddenResponse({ description: 'Registration is closed, or not open to this e-mail domain (`REGISTRATION_CLOSED`), or password sign-in is off (`PASSWORD_LOGIN_DISABLED`)' })
  async register(@Body() dto: RegisterDto, @Origin() origin: RequestOrigin): Promise<AuthResponseDto> {
    return mapSession(await this.auth.register(dto.email, dto.password, dto.displayName, origin));
  }

  @Public()
  @LoginThrottle()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({ description: 'Invalid e-mail or password' })
  @ApiForbiddenResponse({ description: 'Password sign-in is off on this deployment (`PASSWORD_LOGIN_DISABLED`): use single sign-on; or the account is disabled (`ACCOUNT_DISABLED`)' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts for this account or from this address; see Retry-After' })
  async login(@Body() dto: LoginDto, @Origin() origin: RequestOrigin): Promise<AuthResponseDto> {
    return mapSession(await this.auth.login(dto.email, dto.password, origin));
  }

  @Public()
  @LoginThrottle()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AuthResponseDto, description: 'A new pair; the refresh token presented is used up' })
  @ApiUnauthorizedResponse({ description: 'Invalid, expired, revoked or already used (`REFRESH_TOKEN_INVALID`); a used one also ends its sign-in' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this address; see Retry-After' })
  async refresh(@Body() dto: RefreshTokenDto, @Origin() origin: RequestOrigin): Promise<AuthResponseDto> {
    return mapSession(await this.auth.refresh(dto.refreshToken, origin));
  }

  /** Public: a client whose access token has expired must still be able to end its sign-in. */
  @Public()
  @LoginThrottle()
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: "This device's sign-in is over: its refresh token and that token's successors are refused" })
  async logout(@Body() dto: RefreshTokenDto, @Origin() origin: RequestOrigin): Promise<void> {
    await this.auth.logout(dto.refreshToken, origin);
  }

  @Post('logout-all')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'Every sign-in of the account is over, on every replica: access and refresh tokens are refused, live streams end' })
  async logoutAll(@CurrentUser() user: AuthUser, @Origin() origin: RequestOrigin): Promise<void> {
    await this.auth.logoutAll(user, origin);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOkResponse({ type: UserResponseDto })
  async me(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return mapUser(await this.auth.me(user));
  }
}
