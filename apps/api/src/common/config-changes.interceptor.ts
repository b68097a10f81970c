import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Request } from 'express';
import { Observable, tap } from 'rxjs';
import { CONFIG_CHANGED_EVENT } from '../database/config-change.listener';
import { SAFE_METHODS } from './http';

/**
 * After a successful change through a configuration controller, drops this process's cached
 * configuration before the response goes out, so the change holds at once here; other replicas
 * hear of it through the database's notification.
 */
@Injectable()
export class ConfigChangesInterceptor implements NestInterceptor {
  constructor(private readonly emitter: EventEmitter2) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (SAFE_METHODS.has(context.switchToHttp().getRequest<Request>().method)) return next.handle();
    return next.handle().pipe(tap(() => this.emitter.emit(CONFIG_CHANGED_EVENT)));
  }
}
