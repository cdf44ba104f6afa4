import { Injectable, type PipeTransform } from '@nestjs/common';
import { isProviderId, PROVIDER_IDS, type ProviderId } from '@app/ai';
import { AppError } from '@app/common';

@Injectable()
export class ParseProviderPipe implements PipeTransform<string, ProviderId> {
  transform(value: string): ProviderId {
    if (!isProviderId(value)) {
      throw new AppError('UNKNOWN_PROVIDER', `Unknown provider "${value.slice(0, 40)}"; known: ${PROVIDER_IDS.join(', ')}`);
    }
    return value;
  }
}
