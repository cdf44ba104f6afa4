import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, type HealthCheckResult, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { AppError } from '@app/common';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../auth/public.decorator.js';
import { RedisConnectionsService } from '../redis/redis-connections.service.js';

const PING_TIMEOUT_MS = 2000;

/** Probes for orchestrators: liveness never touches dependencies, readiness checks each one. */
@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisConnectionsService,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOkResponse({ description: 'The process is up' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOkResponse({ description: 'Every dependency answers' })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down; the body says which' })
  async ready() {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: PING_TIMEOUT_MS }),
        ...(this.redis.client ? [() => this.pingRedis()] : []),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const down = Object.keys((error.getResponse() as HealthCheckResult).error ?? {});
      throw new AppError('NOT_READY', `Not ready: ${down.join(', ') || 'unknown'} unavailable`);
    }
  }

  private async pingRedis() {
    const check = this.indicators.check('redis');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS)));
    try {
      await Promise.race([this.redis.client!.ping(), timeout]);
      return check.up();
    } catch (error) {
      return check.down(error instanceof Error ? error.message : 'unreachable');
    } finally {
      clearTimeout(timer);
    }
  }
}
