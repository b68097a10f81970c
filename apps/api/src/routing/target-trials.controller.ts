import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { CurrentUser, HasOwnLimits } from '../auth/auth.decorators';
import { ProblemDetailsDto } from '../common/problem-details';
import type { AuthenticatedUser } from '../auth/auth.types';
import { PreviewResultDto, PreviewTargetDto, TargetTrialDto, TestResultDto } from './target-trial.dto';
import { TargetTrialsService } from './target-trials.service';

/**
 * Trying a target: what its filter and transform make of a request, and a test event sent now.
 * Their limits are their own (TRIALS_PER_USER at once): a test send may wait for its receiver.
 */
@ApiTags('targets')
@Controller('api/v1/targets')
@HasOwnLimits()
@ApiTooManyRequestsResponse({
  description:
    "More previews or test sends of this user at once than allowed, or the target's rate limit allows nothing now",
  type: ProblemDetailsDto,
})
export class TargetTrialsController {
  constructor(private readonly trials: TargetTrialsService) {}

  /**
   * Preview what the target does with a stored event of its webhook (`eventId`), a sample
   * `request`, or a default sample: whether the filter takes it, and the request the transform
   * makes of it, with the transform's error and console output. `filter` and `transform`, when
   * given, are tried instead of the saved ones. Nothing is sent.
   */
  @Post(':id/preview')
  @HttpCode(200)
  async previewTarget(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: PreviewTargetDto,
  ): Promise<PreviewResultDto> {
    return this.trials.preview(user, id, dto);
  }

  /**
   * Send a test event to the target now: a copy of a stored event (`eventId`), a sample `request`
   * or a default sample, recorded as a test event with one delivery to this target only, through
   * its filter and transform. One attempt, not retried; the answer is the attempt's outcome.
   * 409 while the target is paused or its circuit is open.
   */
  @Post(':id/test')
  @HttpCode(200)
  async sendTargetTest(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: TargetTrialDto,
  ): Promise<TestResultDto> {
    return this.trials.sendTest(user, id, dto);
  }
}
