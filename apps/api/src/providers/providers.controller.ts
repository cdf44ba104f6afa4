import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { PROVIDER_IDS, type ProviderId } from '@app/ai';
import { Origin, type RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ModelPoliciesService } from '../model-access/model-policies.service.js';
import { CredentialDeletedDto, CredentialResponseDto, mapCredential, mapProvider, ProviderListDto } from './dto/provider-response.dto.js';
import { UpsertCredentialDto } from './dto/upsert-credential.dto.js';
import { ParseProviderPipe } from './parse-provider.pipe.js';
import { ProvidersService } from './providers.service.js';

const ProviderParam = () => Param('provider', ParseProviderPipe);

@ApiTags('providers')
@ApiBearerAuth()
@Controller('providers')
export class ProvidersController {
  constructor(
    private readonly providers: ProvidersService,
    private readonly policies: ModelPoliciesService,
  ) {}

  @Get()
  @ApiOkResponse({ type: ProviderListDto, description: 'Every provider the gateway speaks, whether you configured it, whether and through what you can use it, and the known models your policy allows' })
  async list(@CurrentUser() user: AuthUser): Promise<ProviderListDto> {
    const policy = await this.policies.effective(user);
    const listed = await this.providers.list(user.id);
    return {
      providers: listed.map(({ info, configured, access }) => mapProvider({ ...info, models: info.models.filter((model) => policy.allows(info.id, model.id)) }, configured, access)),
    };
  }

  @Get(':provider')
  @ApiParam({ name: 'provider', enum: PROVIDER_IDS })
  @ApiOkResponse({ type: CredentialResponseDto })
  @ApiNotFoundResponse({ description: 'Nothing saved for this provider' })
  async get(@CurrentUser() user: AuthUser, @ProviderParam() provider: ProviderId): Promise<CredentialResponseDto> {
    return mapCredential(await this.providers.get(user.id, provider));
  }

  @Put(':provider')
  @ApiParam({ name: 'provider', enum: PROVIDER_IDS })
  @ApiOkResponse({ type: CredentialResponseDto })
  @ApiBadRequestResponse({ description: 'Unknown provider, missing key, or a base URL that is not allowed' })
  @ApiForbiddenResponse({ description: 'USER_KEYS_DISABLED: ALLOW_USER_KEYS=false, turns use the organisation connections' })
  async upsert(
    @CurrentUser() user: AuthUser,
    @ProviderParam() provider: ProviderId,
    @Body() dto: UpsertCredentialDto,
    @Origin() origin: RequestOrigin,
  ): Promise<CredentialResponseDto> {
    return mapCredential(await this.providers.upsert(user.id, provider, dto, origin));
  }

  @Delete(':provider')
  @ApiParam({ name: 'provider', enum: PROVIDER_IDS })
  @ApiOkResponse({ type: CredentialDeletedDto })
  @ApiNotFoundResponse({ description: 'Nothing saved for this provider' })
  async remove(@CurrentUser() user: AuthUser, @ProviderParam() provider: ProviderId, @Origin() origin: RequestOrigin): Promise<CredentialDeletedDto> {
    await this.providers.remove(user.id, provider, origin);
    return { provider, deleted: true };
  }
}
