import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
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
  @ApiForbiddenResponse({ description: 'Password sign-in is off on this deployment (`PASSWORD_LOGIN_DISABLED`): use single sign-on' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts for this account or from this address; see Retry-After' })
  async login(@Body() dto: LoginDto): Promise<AuthResponseDto> {
    return mapSession(await this.auth.login(dto.email, dto.password));
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOkResponse({ type: UserResponseDto })
  async me(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return mapUser(await this.auth.me(user));
  }
}
