import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query, Redirect, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiFoundResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Origin, type RequestOrigin } from '../../audit/request-origin.decorator.js';
import { AuthResponseDto, mapSession } from '../dto/auth-response.dto.js';
import { Public } from '../public.decorator.js';
import { ExchangeCodeDto } from './dto/exchange-code.dto.js';
import { OidcFlowCookie } from './oidc-flow.cookie.js';
import { OIDC_REFUSALS } from './oidc-refusal.js';
import { OidcService } from './oidc.service.js';

const NOT_CONFIGURED = { description: 'Single sign-on is not configured on this server (`SSO_NOT_CONFIGURED`)' };

/** A redirect and its cookie are for this browser and this moment only. */
function noStore(response: Response): void {
  response.setHeader('Cache-Control', 'no-store');
}

@ApiTags('auth')
@Controller('auth/oidc')
export class OidcController {
  constructor(
    private readonly oidc: OidcService,
    private readonly flowCookie: OidcFlowCookie,
  ) {}

  @Public()
  @Get('login')
  @Redirect()
  @ApiOperation({ summary: "Starts a single sign-on: the browser goes to the provider's sign-in page" })
  @ApiFoundResponse({ description: "To the provider's authorization endpoint (code flow with PKCE, state and nonce); sets the httpOnly sign-in flow cookie" })
  @ApiNotFoundResponse(NOT_CONFIGURED)
  async login(@Res({ passthrough: true }) response: Response): Promise<{ url: string }> {
    const { url, flow } = await this.oidc.beginLogin();
    this.flowCookie.write(response, flow);
    noStore(response);
    return { url };
  }

  @Public()
  @Get('callback')
  @Redirect()
  @ApiOperation({ summary: 'Where the provider sends the browser back; the registered redirect URI (OIDC_REDIRECT_URI)' })
  @ApiQuery({ name: 'code', required: false, description: "The provider's authorization code" })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'error', required: false, description: "The provider's error, when it did not sign the user in" })
  @ApiFoundResponse({
    description:
      'To OIDC_POST_LOGIN_REDIRECT with `?code=<one-time code>` for POST /api/auth/oidc/exchange (valid 60 s, once), or with ' +
      `\`?error=\` one of ${OIDC_REFUSALS.map((code) => `\`${code}\``).join(', ')}. Never a token in the URL.`,
  })
  @ApiBadRequestResponse({ description: 'A parameter with a NUL character or an unpaired surrogate (`VALIDATION_FAILED`)' })
  @ApiNotFoundResponse(NOT_CONFIGURED)
  async callback(
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
    @Origin() origin: RequestOrigin,
  ): Promise<{ url: string }> {
    const flow = this.flowCookie.take(request, response);
    // An authorization response names each parameter once (RFC 6749 4.1.2); a repeated one is dropped, and the
    // sign-in then fails its checks.
    const parameters = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (typeof value === 'string') parameters.set(name, value);
    noStore(response);
    return { url: await this.oidc.completeLogin(flow, parameters, origin) };
  }

  /**
   * Under the general per-client limit, not the login limits: those count attempts per e-mail address, which this
   * request has none of, and a 256-bit code is not guessed.
   */
  @Public()
  @Post('exchange')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Exchanges the callback's one-time code for the same sign-in as a password login" })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiBadRequestResponse({ description: 'No code, or not a string of 1-128 characters (`VALIDATION_FAILED`)' })
  @ApiUnauthorizedResponse({ description: 'The code is unknown, expired (60 s) or already used, or its account was disabled since (`LOGIN_CODE_INVALID`)' })
  @ApiNotFoundResponse(NOT_CONFIGURED)
  async exchange(@Body() dto: ExchangeCodeDto, @Origin() origin: RequestOrigin): Promise<AuthResponseDto> {
    return mapSession(await this.oidc.exchange(dto.code, origin));
  }
}
