import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import type { Response } from 'express';
import { map, Observable } from 'rxjs';
import { Replayed } from './replayed';

@Injectable()
export class ReplayInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result: unknown) => {
        if (!(result instanceof Replayed)) {
          return result;
        }
        context
          .switchToHttp()
          .getResponse<Response>()
          .setHeader('Idempotent-Replayed', 'true');
        return result.body as unknown;
      }),
    );
  }
}
