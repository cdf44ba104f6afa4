import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AuthUser } from './auth-user.js';
import { AuthService, type IssuedSession } from './auth.service.js';
import { CurrentUser } from './current-user.decorator.js';
import { AuthResponseDto, mapUser, UserResponseDto } from './dto/auth-response.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RegisterDto } from './dto/register.dto.js';
import { LoginThrottle } from '../throttling/throttle.decorators.js';
import { Public } from './public.decorator.js';

function mapSession(session: IssuedSession): AuthResponseDto {
  return { user: mapUser(session.user), accessToken: session.accessToken, expiresIn: session.expiresIn };
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiConflictResponse({ description: 'E-mail already registered' })
  async register(@Body() dto: RegisterDto): Promise<AuthResponseDto> {
    return mapSession(await this.auth.register(dto.email, dto.password, dto.displayName));
  }

  @Public()
  @LoginThrottle()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({ description: 'Invalid e-mail or password' })
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
