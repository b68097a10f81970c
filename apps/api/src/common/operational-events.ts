/**
 * Operational events: what an operator wants to hear about (a target disabled, a circuit opened
 * or closed, a delivery given up on, a backlog growing). Emitted in process with
 * `@nestjs/event-emitter` by the part of webhooker that saw the transition, once per transition
 * cluster-wide; the alerts module turns them into notifications.
 */
export const OPERATIONAL_EVENT = 'operational.event';

export const OPERATIONAL_EVENT_TYPES = [
  'target.disabled',
  'target.circuit_opened',
  'target.circuit_closed',
  'delivery.failed',
  'webhook.backlog_high',
  'entrypoint.verification_failed',
] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

export interface OperationalEvent {
  type: OperationalEventType;
  /** The webhook it concerns (its owner is who gets told). */
  webhookId: string;
  occurredAt: Date;
  /** Type-specific facts: targetId, reason, deliveryId, eventId, counts… */
  data: Record<string, unknown>;
}
