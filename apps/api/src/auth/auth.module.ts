import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { APP_CONFIG, AppConfig } from '../config/config';
import { SettingsModule } from '../settings/settings.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { LocalAuthGuard, LocalStrategy } from './local.strategy';
import { loginThrottlers, LoginThrottlerGuard } from './login-throttler.guard';
import { SessionMiddleware } from './session.middleware';
import { UserRequestLimitInterceptor } from './user-request-limit.interceptor';

@Module({
  imports: [
    PassportModule,
    UsersModule,
    ApiKeysModule,
    SettingsModule,
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ throttlers: loginThrottlers(config) }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    LocalStrategy,
    LocalAuthGuard,
    LoginThrottlerGuard,
    SessionMiddleware,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: UserRequestLimitInterceptor },
  ],
})
export class AuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(SessionMiddleware).forRoutes('api/*path');
  }
}
