import { Body, Controller, Delete, Get, Injectable, Param, Patch, type PipeTransform, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AppError, CONNECTION_LIMITS } from '@app/common';
import { Origin, type RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { ConnectionsService } from '../providers/connections.service.js';
import {
  ConnectionDeletedDto,
  ConnectionDto,
  ConnectionListDto,
  CreateConnectionDto,
  mapConnection,
  UpdateConnectionDto,
} from './dto/admin-connections.dto.js';

/** A uuid or a file's slug: anything else is refused before a lookup. */
@Injectable()
class ParseConnectionIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!CONNECTION_LIMITS.idPattern.test(value)) throw new AppError('VALIDATION_FAILED', 'id must be a connection id (a uuid or a lowercase slug)');
    return value;
  }
}

const ConnectionId = () => Param('id', ParseConnectionIdPipe);
const READ_ONLY = 'CONNECTION_READ_ONLY: the connection comes from CONNECTIONS_FILE';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/connections')
export class AdminConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get()
  @ApiOkResponse({ type: ConnectionListDto, description: 'Every connection, enabled or not, oldest first; keys masked' })
  async list(): Promise<ConnectionListDto> {
    return { connections: (await this.connections.list()).map(mapConnection) };
  }

  @Get(':id')
  @ApiOkResponse({ type: ConnectionDto })
  @ApiNotFoundResponse({ description: 'No such connection' })
  async get(@ConnectionId() id: string): Promise<ConnectionDto> {
    return mapConnection(await this.connections.get(id));
  }

  @Post()
  @ApiCreatedResponse({ type: ConnectionDto, description: "Members without their own key for the provider use it from their next turn, on every replica" })
  @ApiBadRequestResponse({ description: 'Invalid fields, a missing key, or a base URL that is not allowed' })
  @ApiConflictResponse({ description: 'CONNECTION_LIMIT_REACHED' })
  async create(@CurrentUser() admin: AuthUser, @Body() dto: CreateConnectionDto, @Origin() origin: RequestOrigin): Promise<ConnectionDto> {
    return mapConnection(await this.connections.create(admin.id, dto, origin));
  }

  @Patch(':id')
  @ApiOkResponse({ type: ConnectionDto })
  @ApiNotFoundResponse({ description: 'No such connection' })
  @ApiConflictResponse({ description: READ_ONLY })
  async update(@CurrentUser() admin: AuthUser, @ConnectionId() id: string, @Body() dto: UpdateConnectionDto, @Origin() origin: RequestOrigin): Promise<ConnectionDto> {
    return mapConnection(await this.connections.update(admin.id, id, dto, origin));
  }

  @Delete(':id')
  @ApiOkResponse({ type: ConnectionDeletedDto })
  @ApiNotFoundResponse({ description: 'No such connection' })
  @ApiConflictResponse({ description: READ_ONLY })
  async remove(@CurrentUser() admin: AuthUser, @ConnectionId() id: string, @Origin() origin: RequestOrigin): Promise<ConnectionDeletedDto> {
    await this.connections.remove(admin.id, id, origin);
    return { id, deleted: true };
  }
}
