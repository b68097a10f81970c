import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { ApiKey } from '../api-keys/api-key.entity';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Page, PageQueryDto, paginate } from '../common/pagination';
import { generatePassword } from './password';
import { PasswordHasher, PasswordHashingBusyException } from './password-hasher';
import { CreateUserDto, UpdateUserDto } from './user.dto';
import { User, UserRole } from './user.entity';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hasher: PasswordHasher,
    private readonly apiKeys: ApiKeysService,
  ) {}

  /**
   * On first start (no users at all) creates `admin` with ADMIN_PASSWORD or a random password,
   * printed once to stdout: never to the log.
   */
  async ensureAdmin(
    {
      adminPassword,
      print = (text) => process.stdout.write(text),
    }: { adminPassword?: string; print?: (text: string) => void } = this.config,
  ): Promise<void> {
    if ((await this.users.count({ withDeleted: true })) > 0) return;
    const password = adminPassword ?? generatePassword();
    const result = await this.users
      .createQueryBuilder()
      .insert()
      .values({ username: 'admin', role: 'admin', passwordHash: await this.hasher.hash(password) })
      .orIgnore()
      .execute();
    if (result.identifiers.length === 0) return;
    this.logger.log('Created the first user, "admin"');
    if (!adminPassword) {
      const lines = [
        'webhooker created the first user.',
        '  username: admin',
        `  password: ${password}`,
        'This password is shown once; change it after logging in.',
      ];
      const width = Math.max(...lines.map((line) => line.length)) + 2;
      print(
        [
          '',
          `  ┌${'─'.repeat(width)}┐`,
          ...lines.map((line) => `  │ ${line.padEnd(width - 2)} │`),
          `  └${'─'.repeat(width)}┘`,
          '',
          '',
        ].join('\n'),
      );
    }
  }

  async list(page: PageQueryDto): Promise<Page<User>> {
    return paginate(this.users.createQueryBuilder('user'), page);
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw new NotFoundException(`User ${id} not found`);
    return user;
  }

  /** The user behind a session or API key, if it still exists and is not disabled. */
  async findActive(id: string): Promise<User | null> {
    return this.users.findOneBy({ id, disabledAt: IsNull() });
  }

  /**
   * Checks a username and password; null when either is wrong or the user is disabled. A hash made
   * with older parameters is replaced by one with the current parameters on success.
   */
  async verifyCredentials(username: string, password: string): Promise<User | null> {
    const user = await this.users.findOneBy({ username, disabledAt: IsNull() });
    if (!user) {
      await this.hasher.hash(password);
      return null;
    }
    if (!(await this.hasher.verify(password, user.passwordHash))) return null;
    if (this.hasher.needsRehash(user.passwordHash)) await this.upgradeHash(user, password);
    return user;
  }

  /** Rehashes a verified password with the current parameters, unless hashing is saturated (next login then). */
  private async upgradeHash(user: User, password: string): Promise<void> {
    let upgraded: string;
    try {
      upgraded = await this.hasher.hash(password);
    } catch (error) {
      if (error instanceof PasswordHashingBusyException) return;
      throw error;
    }
    await this.users.update({ id: user.id, passwordHash: user.passwordHash }, { passwordHash: upgraded });
    user.passwordHash = upgraded;
  }

  async create(dto: CreateUserDto): Promise<{ user: User; generatedPassword?: string }> {
    const generatedPassword = dto.password ? undefined : generatePassword();
    try {
      const user = await this.users.save(
        this.users.create({
          username: dto.username,
          role: dto.role ?? 'member',
          passwordHash: await this.hasher.hash(dto.password ?? generatedPassword!),
          disabledAt: null,
        }),
      );
      return { user, generatedPassword };
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ConflictException(`username "${dto.username}" is already taken`);
      }
      throw error;
    }
  }

  async update(actingUserId: string, id: string, dto: UpdateUserDto): Promise<User> {
    const user = await this.get(id);
    const demotes = dto.role !== undefined && dto.role !== 'admin' && user.role === 'admin';
    const disables = dto.disabled === true && user.disabledAt === null;
    if (id === actingUserId && (demotes || disables)) {
      throw new BadRequestException('You cannot demote or disable your own account');
    }
    if (dto.role !== undefined) user.role = dto.role as UserRole;
    if (dto.disabled !== undefined) user.disabledAt = dto.disabled ? (user.disabledAt ?? new Date()) : null;
    await this.users.save(user);
    if (disables) await this.endSessions(id);
    return user;
  }

  /**
   * Sets a new password (generated when none is given) and ends the user's sessions; with
   * `revokeApiKeys`, revokes every API key of the user too.
   */
  async resetPassword(
    id: string,
    { password, revokeApiKeys = false }: { password?: string; revokeApiKeys?: boolean },
  ): Promise<{ generatedPassword?: string }> {
    const user = await this.get(id);
    const generatedPassword = password ? undefined : generatePassword();
    user.passwordHash = await this.hasher.hash(password ?? generatedPassword!);
    await this.users.save(user);
    await this.endSessions(id);
    if (revokeApiKeys) await this.apiKeys.revokeAll(id);
    return { generatedPassword };
  }

  /** A user's live API keys, newest first; 404 for an unknown user. */
  async listApiKeys(userId: string, page: PageQueryDto): Promise<Page<ApiKey>> {
    await this.get(userId);
    return this.apiKeys.list(userId, page);
  }

  /** Revokes one API key of a user; 404 for an unknown user or a key that is not theirs. */
  async revokeApiKey(userId: string, keyId: string): Promise<void> {
    await this.get(userId);
    await this.apiKeys.revoke(userId, keyId);
  }

  /** Changes one's own password; every other session of the user ends. */
  async changePassword(id: string, currentPassword: string, newPassword: string, keepSessionId?: string) {
    const user = await this.get(id);
    if (!(await this.hasher.verify(currentPassword, user.passwordHash))) return false;
    user.passwordHash = await this.hasher.hash(newPassword);
    await this.users.save(user);
    await this.endSessions(id, keepSessionId);
    return true;
  }

  /** Deletes the stored dashboard sessions of a user, but `keepSessionId`. */
  private async endSessions(userId: string, keepSessionId = ''): Promise<void> {
    await this.dataSource.query(`DELETE FROM sessions WHERE sess->>'userId' = $1 AND sid <> $2`, [
      userId,
      keepSessionId,
    ]);
  }
}
