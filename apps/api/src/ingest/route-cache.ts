import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { CONFIG_CHANGED_EVENT } from '../database/config-change.listener';
import type { TargetSnapshot } from '../delivery/delivery-task';
import { EntrypointsService } from '../entrypoints/entrypoints.service';
import { TargetHealthService } from '../targets/target-health.service';

/** Where an entrypoint leads: `gone` for a deleted entrypoint or webhook (410), `inactive` (410). */
export interface Route {
  entrypointId: string;
  webhookId: string;
  state: 'active' | 'inactive' | 'gone';
  targets: TargetSnapshot[];
}

/** Routes (and unknown ids) held at most; the oldest are dropped first. */
const MAX_ROUTES = 10_000;

/**
 * The ingest path's configuration, in memory: entrypoint → webhook → active targets. Dropped
 * whenever the configuration changes on any replica (CONFIG_CHANGED_EVENT), so the hot path reads
 * nothing from the database.
 */
@Injectable()
export class RouteCache {
  private routes = new Map<string, Promise<Route | null>>();

  constructor(
    private readonly entrypoints: EntrypointsService,
    private readonly targets: TargetHealthService,
  ) {}

  /** The route of an entrypoint id, or null when no entrypoint ever had it. */
  get(entrypointId: string): Promise<Route | null> {
    let route = this.routes.get(entrypointId);
    if (!route) {
      route = this.load(entrypointId);
      if (this.routes.size >= MAX_ROUTES) this.routes.delete(this.routes.keys().next().value!);
      this.routes.set(entrypointId, route);
      route.catch(() => this.routes.delete(entrypointId));
    }
    return route;
  }

  @OnEvent(CONFIG_CHANGED_EVENT)
  clear(): void {
    this.routes = new Map();
  }

  private async load(entrypointId: string): Promise<Route | null> {
    const entrypoint = await this.entrypoints.findForIngest(entrypointId);
    if (!entrypoint) return null;
    const gone =
      entrypoint.deletedAt !== null || !entrypoint.webhook || entrypoint.webhook.deletedAt !== null;
    const state = gone ? 'gone' : entrypoint.active ? 'active' : 'inactive';
    return {
      entrypointId,
      webhookId: entrypoint.webhookId,
      state,
      targets: state === 'active' ? await this.targets.activeSnapshots(entrypoint.webhookId) : [],
    };
  }
}
