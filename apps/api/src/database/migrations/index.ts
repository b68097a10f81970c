import { Foundation1763900000000 } from './1763900000000-foundation';
import { Configuration1763910000000 } from './1763910000000-configuration';
import { DeliveryEngine1763920000000 } from './1763920000000-delivery-engine';
import { FaultIsolation1764000000000 } from './1764000000000-fault-isolation';
import { TargetOperations1764100000000 } from './1764100000000-target-operations';
import { RateLimits1764150000000 } from './1764150000000-rate-limits';
import { BulkOperations1764200000000 } from './1764200000000-bulk-operations';
import { Alerts1764300000000 } from './1764300000000-alerts';
import { InboundVerification1764400000000 } from './1764400000000-inbound-verification';
import { InboundDedup1764500000000 } from './1764500000000-inbound-dedup';
import { ConfigKeys1764600000000 } from './1764600000000-config-keys';
import { RoutingFilters1764700000000 } from './1764700000000-routing-filters';
import { RoutingTransforms1764710000000 } from './1764710000000-routing-transforms';
import { StatsRollups1764720000000 } from './1764720000000-stats-rollups';
import { EventSearch1764730000000 } from './1764730000000-event-search';
import { EventSearchAsync1764740000000 } from './1764740000000-event-search-async';
import { DeliveriesFillfactor1764750000000 } from './1764750000000-deliveries-fillfactor';

/** Every migration in order; new ones are appended here. */
export const MIGRATIONS = [
  Foundation1763900000000,
  Configuration1763910000000,
  DeliveryEngine1763920000000,
  FaultIsolation1764000000000,
  TargetOperations1764100000000,
  RateLimits1764150000000,
  BulkOperations1764200000000,
  Alerts1764300000000,
  InboundVerification1764400000000,
  InboundDedup1764500000000,
  ConfigKeys1764600000000,
  RoutingFilters1764700000000,
  RoutingTransforms1764710000000,
  StatsRollups1764720000000,
  EventSearch1764730000000,
  EventSearchAsync1764740000000,
  DeliveriesFillfactor1764750000000,
];
