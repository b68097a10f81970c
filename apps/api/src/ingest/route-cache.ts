import { Inject, Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { APP_CONFIG, AppConfig } from '../config/config';
import { CONFIG_CHANGED_EVENT } from '../database/config-change.listener';
import type { TargetSnapshot } from '../delivery/delivery-task';
import { EntrypointsService } from '../entrypoints/entrypoints.service';
import { TargetHealthService } from '../targets/target-health.service';
import { compileVerifier, Verifier } from '../entrypoints/verification';
import { CompiledFilter, compileFilter } from '../routing/filter';
import { DedupRule, dedupRule } from './dedup-key';

/** Where an entrypoint leads: `gone` for a deleted entrypoint or webhook (410), `inactive` (410). */
export interface Route {
  entrypointId: string;
  webhookId: string;
  /** The webhook's owner: whose share of the ingest budget its events take (empty when gone). */
  ownerId: string;
  state: 'active' | 'inactive' | 'gone';
  targets: TargetSnapshot[];
  /** The entrypoint's inbound verification, compiled; null when senders are not verified. */
  verifier: Verifier | null;
  /** How duplicates are recognised; null: deduplication is off. */
  dedup: DedupRule | null;
  /** The compiled filter of each target that has one, by target id (empty: every target takes every event). */
  filters: ReadonlyMap<string, CompiledFilter>;
}

/** Routes held at most; the oldest are dropped first. */
const MAX_ROUTES = 10_000;
/** An id not in the known set reloads the set at most this often (unless the set is out of date). */
const MISS_RELOAD_INTERVAL_MS = 1_000;

interface CachedRoute {
  route: Promise<Route | null>;
  expiresAt: number;
}

interface KnownIds {
  ids: Set<string>;
  generation: number;
  loadedFrom: number;
}

/**
 * The ingest path's configuration, in memory: the id of every entrypoint (so an unknown id costs
 * no query), and entrypoint → webhook → active targets for the ids in use. Both are out of date
 * when the configuration changes on any replica (CONFIG_CHANGED_EVENT) and after
 * ROUTE_CACHE_TTL_MS in any case, so a missed notification cannot keep a deleted entrypoint
 * answering for ever. Each clear starts a new generation: a load that began before it is never
 * taken as current.
 */
@Injectable()
export class RouteCache {
  private readonly logger = new Logger(RouteCache.name);
  private routes = new Map<string, CachedRoute>();
  private generation = 0;
  private known: KnownIds | null = null;
  private knownLoad: { generation: number; done: Promise<void> } | null = null;
  /** When the last load of the known ids started (successful or not), and in which generation. */
  private lastLoad = { generation: -1, startedAt: -Infinity };
  /** Targets whose filter did not compile, already logged. */
  private readonly brokenFilters = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly entrypoints: EntrypointsService,
    private readonly targets: TargetHealthService,
  ) {}

  /** The route of an entrypoint id, or null when no entrypoint has it. */
  async get(entrypointId: string): Promise<Route | null> {
    if (!(await this.isKnown(entrypointId))) return null;
    const now = Date.now();
    const cached = this.routes.get(entrypointId);
    if (cached && cached.expiresAt > now) return cached.route;
    const entry: CachedRoute = {
      route: this.load(entrypointId),
      expiresAt: now + this.config.routeCacheTtlMs,
    };
    this.routes.delete(entrypointId);
    if (this.routes.size >= MAX_ROUTES) this.routes.delete(this.routes.keys().next().value!);
    this.routes.set(entrypointId, entry);
    entry.route.catch(() => {
      if (this.routes.get(entrypointId) === entry) this.routes.delete(entrypointId);
    });
    return entry.route;
  }

  /** Drops every route (a load under way stays in the dropped map) and starts a new generation. */
  @OnEvent(CONFIG_CHANGED_EVENT)
  clear(): void {
    this.generation++;
    this.routes = new Map();
  }

  /**
   * Whether an entrypoint has the id. A known id answers from memory (an out-of-date set is
   * reloaded in the background); an unknown one waits for a reload when the configuration changed
   * since the last one started, or when that was MISS_RELOAD_INTERVAL_MS ago or more, or when a
   * reload of the current configuration is under way (the first events to a new entrypoint arrive
   * together, and each must wait for the reload the first started), and is answered from memory
   * otherwise: a flood of unknown ids costs at most one query a second.
   */
  private async isKnown(entrypointId: string): Promise<boolean> {
    const known = this.known;
    if (known?.ids.has(entrypointId)) {
      if (!this.isCurrent(known) && this.mayReload()) this.reloadKnown().catch(() => undefined);
      return true;
    }
    if (known === null || this.mayReload() || this.knownLoad?.generation === this.generation)
      await this.reloadKnown();
    return this.known!.ids.has(entrypointId);
  }

  private isCurrent(known: KnownIds): boolean {
    return (
      known.generation === this.generation && Date.now() - known.loadedFrom < this.config.routeCacheTtlMs
    );
  }

  private mayReload(): boolean {
    return (
      this.lastLoad.generation !== this.generation ||
      Date.now() - this.lastLoad.startedAt >= MISS_RELOAD_INTERVAL_MS
    );
  }

  /** Loads the set of known ids, joining a load of the current generation already under way. */
  private reloadKnown(): Promise<void> {
    if (this.knownLoad?.generation === this.generation) return this.knownLoad.done;
    const generation = this.generation;
    const loadedFrom = Date.now();
    this.lastLoad = { generation, startedAt: loadedFrom };
    const done = this.entrypoints.allIds().then(
      (ids) => {
        const newest = this.known;
        if (!newest || newest.generation < generation || newest.loadedFrom < loadedFrom) {
          this.known = { ids: new Set(ids), generation, loadedFrom };
        }
      },
      (error: Error) => {
        this.logger.warn(`Loading the entrypoint ids failed: ${error.message}`);
        throw error;
      },
    );
    const load = { generation, done };
    this.knownLoad = load;
    done
      .finally(() => {
        if (this.knownLoad === load) this.knownLoad = null;
      })
      .catch(() => undefined);
    return done;
  }

  private async load(entrypointId: string): Promise<Route | null> {
    const entrypoint = await this.entrypoints.findForIngest(entrypointId);
    if (!entrypoint) return null;
    const gone =
      entrypoint.deletedAt !== null || !entrypoint.webhook || entrypoint.webhook.deletedAt !== null;
    const state = gone ? 'gone' : entrypoint.active ? 'active' : 'inactive';
    const targets = state === 'active' ? await this.targets.liveSnapshots(entrypoint.webhookId) : [];
    return {
      entrypointId,
      webhookId: entrypoint.webhookId,
      ownerId: entrypoint.webhook?.ownerId ?? '',
      state,
      targets,
      verifier: state === 'active' ? compileVerifier(entrypoint.verification) : null,
      dedup: dedupRule(entrypoint.dedup),
      filters: this.compileFilters(targets),
    };
  }

  /**
   * The targets' filters, compiled. Filters are checked when saved, so one that does not compile
   * here (saved by an older version) matches nothing, and is logged once, without keeping the
   * other targets from their events.
   */
  private compileFilters(targets: TargetSnapshot[]): Map<string, CompiledFilter> {
    const filters = new Map<string, CompiledFilter>();
    for (const target of targets) {
      if (target.filter === null) continue;
      try {
        filters.set(target.id, compileFilter(target.filter));
      } catch (error) {
        if (!this.brokenFilters.has(target.id)) {
          this.brokenFilters.add(target.id);
          this.logger.error(
            `The filter of target ${target.id} does not compile; it matches no event: ${(error as Error).message}`,
          );
        }
        filters.set(target.id, () => false);
      }
    }
    return filters;
  }
}
