import { AlertSubscription } from '../alerts/alert-subscription.entity';
import { ApiKey } from '../api-keys/api-key.entity';
import { BulkOperation } from '../bulk-operations/bulk-operation.entity';
import { ArchivedEvent } from '../delivery/archived-event.entity';
import { Delivery } from '../delivery/delivery.entity';
import { DeliveryAttempt } from '../delivery/delivery-attempt.entity';
import { Entrypoint } from '../entrypoints/entrypoint.entity';
import { IdempotencyKey } from '../idempotency/idempotency-key.entity';
import { Event } from '../events/event.entity';
import { Setting } from '../settings/setting.entity';
import { Target } from '../targets/target.entity';
import { User } from '../users/user.entity';
import { Webhook } from '../webhooks/webhook.entity';

/** Every entity, listed explicitly (no globs): the data source and the schema check use this list. */
export const ENTITIES = [
  User,
  ApiKey,
  Setting,
  Webhook,
  Entrypoint,
  Target,
  Event,
  Delivery,
  DeliveryAttempt,
  ArchivedEvent,
  IdempotencyKey,
  AlertSubscription,
  BulkOperation,
];
