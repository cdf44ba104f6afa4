import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import { AllExceptionsFilter, type ErrorBody } from '@app/common';

/** Errors go back to the calling service in the same `{statusCode, error, message, code}` shape as over HTTP. */
@Catch()
export class RpcErrorsFilter implements RpcExceptionFilter {
  private readonly common = new AllExceptionsFilter();

  catch(exception: unknown): Observable<never> {
    return throwError((): ErrorBody => this.common.toBody(exception));
  }
}
