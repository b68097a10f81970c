import type { OperationalEventType } from '@webhooker/api-client';
import type { BadgeTone } from '../../components/Badge';

interface EventTypeInfo {
  type: OperationalEventType;
  /** One line: when it fires. */
  explanation: string;
  tone: BadgeTone;
}

/** The operational events a subscription can want, in the order the form lists them. */
export const EVENT_TYPES: EventTypeInfo[] = [
  {
    type: 'target.disabled',
    explanation: 'webhooker paused a target itself: it answered 410 Gone, or failed every attempt for days.',
    tone: 'red',
  },
  {
    type: 'delivery.failed',
    explanation: 'A delivery used up its retries; at most one alert per target per interval, with a count.',
    tone: 'red',
  },
  {
    type: 'target.circuit_opened',
    explanation: 'A target failed several attempts in a row: webhooker stops trying it for a cooldown.',
    tone: 'amber',
  },
  {
    type: 'target.circuit_closed',
    explanation: 'A target whose circuit was open answers again; its backlog drains.',
    tone: 'green',
  },
  {
    type: 'webhook.backlog_high',
    explanation: 'A webhook’s deliveries waiting to go out passed the backlog threshold.',
    tone: 'amber',
  },
  {
    type: 'entrypoint.verification_failed',
    explanation: 'Requests to an entrypoint failed its signature check; folded like failed deliveries.',
    tone: 'amber',
  },
];

export function eventTypeTone(type: OperationalEventType): BadgeTone {
  return EVENT_TYPES.find((info) => info.type === type)?.tone ?? 'grey';
}
