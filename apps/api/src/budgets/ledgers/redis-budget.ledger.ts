import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppError } from '@app/common';
import { BudgetsRepository, type PeriodSpend } from '@app/persistence';
import type { RedisConnectionsService } from '../../redis/redis-connections.service.js';
import { formatDecimal, parseDecimal } from '../../usage/money.js';
import { BudgetLedger, type Reservation, type ReservationOutcome } from './budget.ledger.js';

/**
 * The month's spend as Redis sees it, in nano-units: a copy of the database's, read again when missing. It expires
 * after an hour, so whatever a Redis outage made it miss, or a settlement racing the copy counted twice (recorded in
 * the database before the copy was read, added to the copy after), is put right within one.
 */
const spentKey = (userId: string, period: string) => `budget:${userId}:${period}:spent`;
/** The month's reservations: reply id → `<nano-units> <expiry, ms since the epoch by Redis's clock>`. */
const holdsKey = (userId: string, period: string) => `budget:${userId}:${period}:holds`;
const SPENT_COPY_TTL_MS = 3_600_000;

/**
 * Drops the expired holds (by Redis's own clock, the same for every replica), then holds ARGV[2] for reply ARGV[1]
 * if spent + held + it <= limit (ARGV[3]), for ARGV[4] ms. Answers {granted, spent, held before}, or nil when the
 * spend's copy is missing (the caller copies it from the database and asks again). Integers of at most 2^53 are
 * exact in Lua's numbers: budgets are capped far below.
 */
const RESERVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local spent = tonumber(redis.call('GET', KEYS[1]))
local held = 0
local holds = redis.call('HGETALL', KEYS[2])
for i = 1, #holds, 2 do
  local amount, expires = string.match(holds[i + 1], '^(%d+) (%d+)$')
  if tonumber(expires) <= now then redis.call('HDEL', KEYS[2], holds[i]) else held = held + tonumber(amount) end
end
local granted = 0
if spent + held + tonumber(ARGV[2]) <= tonumber(ARGV[3]) then
  granted = 1
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. string.format('%d', now + tonumber(ARGV[4])))
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return {granted, string.format('%d', spent), string.format('%d', held)}`;
/** Drops the hold and adds the real cost, in one step: no reservation sees the money neither held nor spent. */
const SETTLE = `
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], ARGV[2]) end
return 1`;
const HELD = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local held = 0
local holds = redis.call('HGETALL', KEYS[1])
for i = 1, #holds, 2 do
  local amount, expires = string.match(holds[i + 1], '^(%d+) (%d+)$')
  if tonumber(expires) > now then held = held + tonumber(amount) end
end
return string.format('%d', held)`;

const REDIS_DOWN = 'Redis is unavailable, so the budget cannot be checked; retry shortly';

/** Reservations in Redis, checked by one script: replicas share them without a database lock per reply. */
export class RedisBudgetLedger extends BudgetLedger {
  private readonly logger = new Logger(RedisBudgetLedger.name);
  private readonly redis: Redis;

  constructor(
    connections: RedisConnectionsService,
    private readonly budgets: BudgetsRepository,
  ) {
    super();
    this.redis = connections.client!;
  }

  async reserve(reservation: Reservation): Promise<ReservationOutcome> {
    const { userId, period } = reservation;
    const keys = [spentKey(userId, period), holdsKey(userId, period)] as const;
    const args = [reservation.replyId, reservation.amount.toString(), reservation.limit.toString(), reservation.ttlMs] as const;
    let answer = await this.command(this.redis.eval(RESERVE, 2, ...keys, ...args));
    if (answer === null) {
      const { spent } = await this.budgets.spendIn(userId, period);
      // NX: a copy another replica made meanwhile may already hold a later settlement.
      await this.command(this.redis.set(keys[0], parseDecimal(spent).toString(), 'PX', SPENT_COPY_TTL_MS, 'NX'));
      answer = await this.command(this.redis.eval(RESERVE, 2, ...keys, ...args));
    }
    const [granted, spent, reserved] = answer as [number, string, string];
    return { granted: granted === 1, spent: BigInt(spent), reserved: BigInt(reserved) };
  }

  /**
   * The database's record first, the hold released after it: while the spend is written the hold still counts, so
   * the month never shows the reply's money neither held nor spent (as the database ledger's one statement does).
   * The hold is released even when the record fails, as the reply is over.
   */
  async settle({ userId, period, replyId }: Omit<Reservation, 'limit' | 'ttlMs'>, cost: bigint): Promise<PeriodSpend> {
    try {
      return await this.budgets.settle(userId, period, replyId, formatDecimal(cost));
    } finally {
      await this.release(userId, period, replyId, cost);
    }
  }

  async reservedIn(userId: string, period: string): Promise<bigint> {
    return BigInt((await this.command(this.redis.eval(HELD, 1, holdsKey(userId, period)))) as string);
  }

  private async release(userId: string, period: string, replyId: string, cost: bigint): Promise<void> {
    try {
      await this.command(this.redis.eval(SETTLE, 2, spentKey(userId, period), holdsKey(userId, period), replyId, cost.toString()));
    } catch {
      // The hold expires by itself; the spend's copy is read again from the database within the hour.
      this.logger.warn(`Could not release the budget hold of reply ${replyId} in Redis; it expires by itself`);
    }
  }

  private async command<T>(pending: Promise<T>): Promise<T> {
    try {
      return await pending;
    } catch {
      throw new AppError('DEPENDENCY_UNAVAILABLE', REDIS_DOWN);
    }
  }
}
