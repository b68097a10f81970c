import { Body, Controller, Get, HttpCode, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { stringify } from 'yaml';
import { CurrentUser } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../auth/auth.types';
import { ConfigChangesInterceptor } from '../common/config-changes.interceptor';
import {
  ConfigApplyDto,
  ConfigDocumentDto,
  ConfigExportQueryDto,
  ConfigPlanDto,
  ConfigPlanQueryDto,
} from './config-document.dto';
import { ConfigAsCodeService } from './config-as-code.service';

/** The media types a document may be sent as. */
const DOCUMENT_TYPES = ['application/json', 'application/yaml', 'text/yaml'];

/** Configuration as code: plan, apply and export your webhooks as one document. */
@ApiTags('config')
@ApiExtraModels(ConfigDocumentDto)
@UseInterceptors(ConfigChangesInterceptor)
@Controller('api/v1/config')
export class ConfigAsCodeController {
  constructor(private readonly configAsCode: ConfigAsCodeService) {}

  /** What applying the document would change (deletes only with `prune=true`); changes nothing. */
  @Post('plan')
  @HttpCode(200)
  @ApiConsumes(...DOCUMENT_TYPES)
  @ApiBody({ type: ConfigDocumentDto })
  async planConfig(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: unknown,
    @Query() query: ConfigPlanQueryDto,
  ): Promise<ConfigPlanDto> {
    return this.configAsCode.plan(user, body, query.prune === 'true');
  }

  /** Make the document's changes, all or nothing, never interleaved with another apply of yours. */
  @Post('apply')
  @HttpCode(200)
  @ApiConsumes(...DOCUMENT_TYPES)
  @ApiBody({ type: ConfigDocumentDto })
  async applyConfig(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: unknown,
    @Query() query: ConfigPlanQueryDto,
  ): Promise<ConfigApplyDto> {
    return this.configAsCode.apply(user, body, query.prune === 'true');
  }

  /** Your webhooks as a document (JSON, or YAML with `format=yaml`); keys are derived from names where none is set. */
  @Get('export')
  @ApiOkResponse({
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ConfigDocumentDto) } },
      'application/yaml': { schema: { type: 'string' } },
    },
  })
  async exportConfig(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ConfigExportQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ConfigDocumentDto | string> {
    const document = await this.configAsCode.export(user);
    if (query.format !== 'yaml') return document;
    response.type('application/yaml');
    return stringify(document);
  }
}
