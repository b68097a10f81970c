import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import { createValidationPipe } from '../common/validation';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { LoginDto } from './auth.dto';

/** passport-local: checks the username and password of POST /api/v1/auth/login. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly users: UsersService) {
    super();
  }

  async validate(username: string, password: string): Promise<User> {
    const user = await this.users.verifyCredentials(username, password);
    if (!user) throw new UnauthorizedException('Wrong username or password');
    return user;
  }
}

/** Validates the login body first (400 naming the field), then runs passport-local. */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  private readonly validation = createValidationPipe();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    await this.validation.transform(request.body ?? {}, { type: 'body', metatype: LoginDto });
    return (await super.canActivate(context)) as boolean;
  }
}
