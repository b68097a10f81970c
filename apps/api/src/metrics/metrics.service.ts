import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/pg-pool';

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600,
];

/** Prometheus metrics of this process (served at /metrics). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly eventsReceived = new Counter({
    name: 'webhooker_events_received_total',
    help: 'Events stored by ingest',
    registers: [this.registry],
  });
  readonly ingestRejected = new Counter({
    name: 'webhooker_ingest_rejected_total',
    help: 'Requests refused with 401 by inbound verification, by the check that failed',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly ingestBusy = new Counter({
    name: 'webhooker_ingest_backpressure_total',
    help:
      'Requests answered 503 by ingest backpressure, by the bound they would have gone over: ' +
      "total (this process's events or bytes in flight) or owner (the share of the webhook's owner)",
    labelNames: ['bound'],
    registers: [this.registry],
  });
  readonly duplicatesReceived = new Counter({
    name: 'webhooker_duplicates_received_total',
    help: 'Requests answered as duplicates of an earlier event (entrypoint deduplication): not stored',
    registers: [this.registry],
  });
  readonly attempts = new Counter({
    name: 'webhooker_delivery_attempts_total',
    help: 'Delivery attempts by target type and outcome (delivered, retrying, failed)',
    labelNames: ['target_type', 'outcome'],
    registers: [this.registry],
  });
  readonly deliveriesSkipped = new Counter({
    name: 'webhooker_deliveries_skipped_total',
    help: 'Deliveries recorded as skipped, without an attempt, by reason (filter, transform)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly attemptDuration = new Histogram({
    name: 'webhooker_delivery_attempt_duration_seconds',
    help: 'Duration of delivery attempts',
    labelNames: ['target_type'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly transformDuration = new Histogram({
    name: 'webhooker_transform_duration_seconds',
    help: "Duration of targets' transform runs in the sandbox",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly ingestToDelivery = new Histogram({
    name: 'webhooker_ingest_to_delivery_seconds',
    help: 'Time from receiving an event to its successful delivery to a target',
    labelNames: ['target_type'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readTasksInMemory: () => number = () => 0;
  private readBytesInMemory: () => number = () => 0;

  constructor(@InjectDataSource() dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry });
    const readTasksInMemory = () => this.readTasksInMemory();
    const readBytesInMemory = () => this.readBytesInMemory();
    new Gauge({
      name: 'webhooker_delivery_tasks_in_memory',
      help: 'Delivery tasks held by this process: waiting, running or on a retry timer',
      registers: [this.registry],
      collect() {
        this.set(readTasksInMemory());
      },
    });
    new Gauge({
      name: 'webhooker_delivery_bytes_in_memory',
      help: 'What the events of the delivery tasks held by this process weigh (bodies and headers, each event once), bytes',
      registers: [this.registry],
      collect() {
        this.set(readBytesInMemory());
      },
    });
    new Gauge({
      name: 'webhooker_queue_depth',
      help: 'Deliveries not finished yet (pending or retrying), in the whole database',
      registers: [this.registry],
      async collect() {
        const { rows } = await pgPool(dataSource).query(
          `SELECT count(*)::int AS n FROM deliveries WHERE status IN ('pending', 'retrying')`,
        );
        this.set(rows[0].n);
      },
    });
    new Gauge({
      name: 'webhooker_open_circuits',
      help: 'Targets whose circuit breaker is open',
      registers: [this.registry],
      async collect() {
        const { rows } = await pgPool(dataSource).query(
          `SELECT count(*)::int AS n FROM targets WHERE circuit_open_until > now() AND deleted_at IS NULL`,
        );
        this.set(rows[0].n);
      },
    });
  }

  /** The engine reports how many tasks it holds, and what their events weigh, whenever metrics are read. */
  reportTasksInMemory(tasks: () => number, bytes: () => number): void {
    this.readTasksInMemory = tasks;
    this.readBytesInMemory = bytes;
  }
}
