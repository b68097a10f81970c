import { HTTP_TARGET_DEFAULTS } from '../targets/target.dto';
import { eventBytes, EventSnapshot, MAX_EVENT_WEIGHT, TargetSnapshot } from './delivery-task';

/**
 * A target holds at most this many deliveries in memory per unit of its concurrency (and never more
 * than its share), so one target's backlog cannot fill the budget of all.
 */
export const TASKS_PER_CONCURRENCY = 32;

/**
 * What is kept for an owner whose work has not arrived yet: this fraction of MAX_QUEUED_TASKS and
 * MAX_QUEUED_BYTES here, and of DELIVERY_CONCURRENCY's slots (at least one) in the engine.
 */
export const OWNER_RESERVE_DIVISOR = 16;

export interface HeldBudgetLimits {
  /** MAX_QUEUED_TASKS */
  maxDeliveries: number;
  /** MAX_QUEUED_BYTES */
  maxBytes: number;
  /** Deliveries an owner may always hold, for targets below their concurrency (DELIVERY_CONCURRENCY). */
  ownerFloor: number;
}

/** A delivery held: the target whose room it takes, and its event. */
interface HeldDelivery {
  target: HeldForTarget;
  eventId: string;
}

/** One target's held deliveries, and what their events weigh (one delivery per event and target). */
interface HeldForTarget {
  id: string;
  owner: HeldForOwner;
  concurrency: number;
  deliveries: number;
  bytes: number;
}

/** One owner's held deliveries, over how many targets, and its distinct events and their weight. */
interface HeldForOwner {
  id: string;
  targets: number;
  deliveries: number;
  events: number;
  bytes: number;
}

/** An event held: by how many deliveries, what it weighs, and its webhook's owner. */
interface HeldEvent {
  deliveries: number;
  bytes: number;
  owner: HeldForOwner;
}

/**
 * What a claim from the table may take, per target and owner this process holds work for, and for
 * targets and owners it does not know yet (what one would get once held).
 */
export interface ClaimRooms {
  targetIds: string[];
  /** More deliveries each held target may take. */
  targetRooms: number[];
  ownerIds: string[];
  /** More deliveries each held owner's targets may take together. */
  ownerRooms: number[];
  /** The share of deliveries, and of bytes in deliveries of average weight, of a target not held yet, per held owner. */
  newTargetShares: number[];
  newTargetBytesRooms: number[];
  /** The same for an owner not held yet (bytes counted at MAX_EVENT_WEIGHT: its events are unknown). */
  newOwnerRoom: number;
  newOwnerTargetShare: number;
  newOwnerTargetBytesRoom: number;
}

/**
 * The deliveries one process holds in memory (admitted, waiting, running, on a retry timer) and
 * what their events weigh, each event counted once however many of its deliveries are held, and
 * who may hold more. Both budgets (MAX_QUEUED_TASKS, MAX_QUEUED_BYTES) are shared in two levels:
 * among the owners (tenants) holding work, an equal share of the budget less a reserve kept for an
 * owner whose work has not arrived yet; within an owner, among its targets, an equal share of the
 * owner's with one more kept for its next target. So neither one target's backlog nor one user's
 * many targets can take the room that another user's work needs. An owner may always hold
 * `ownerFloor` deliveries for targets below their concurrency, so its attempts can run whatever
 * the others hold; only those floors, one per owner with work, go beyond the budgets.
 */
export class HeldBudget {
  private readonly deliveries = new Map<string, HeldDelivery>();
  private readonly targets = new Map<string, HeldForTarget>();
  private readonly owners = new Map<string, HeldForOwner>();
  private readonly events = new Map<string, HeldEvent>();
  private heldBytes = 0;

  constructor(private readonly limits: HeldBudgetLimits) {}

  /** Deliveries held. */
  get size(): number {
    return this.deliveries.size;
  }

  /** What the held events weigh, each once. */
  get bytes(): number {
    return this.heldBytes;
  }

  deliveryIds(): IterableIterator<string> {
    return this.deliveries.keys();
  }

  holdsTarget(targetId: string): boolean {
    return this.targets.has(targetId);
  }

  /**
   * Deliveries a claim from the table may take: what is left of the budgets, if each event weighs
   * the most it may, but at least an owner's floor (see claimRooms).
   */
  claimCapacity(): number {
    return Math.max(this.budgetRoom(), this.limits.ownerFloor);
  }

  /** Whether the deliveries held are below MAX_QUEUED_TASKS. */
  get belowMaxDeliveries(): boolean {
    return this.deliveries.size < this.limits.maxDeliveries;
  }

  /**
   * Whether one more delivery of `target` for `event` may be held: always while the target is below
   * its concurrency and its owner below the floor; otherwise within the global budgets, the owner's
   * share of both and the target's share of its owner's, and TASKS_PER_CONCURRENCY per unit of
   * concurrency.
   */
  hasRoomFor(target: TargetSnapshot, event: EventSnapshot): boolean {
    const forTarget = this.targets.get(target.id);
    const forOwner = forTarget?.owner ?? this.owners.get(target.ownerId);
    const held = forTarget?.deliveries ?? 0;
    const ownerHeld = forOwner?.deliveries ?? 0;
    const concurrency = concurrencyOf(target);
    if (held < concurrency && ownerHeld < this.limits.ownerFloor) return true;
    if (this.deliveries.size >= this.limits.maxDeliveries) return false;
    const share = this.ownerShare(forOwner !== undefined);
    if (ownerHeld >= share.deliveries) return false;
    const heldEvent = this.events.get(event.id);
    const bytes = heldEvent?.bytes ?? eventBytes(event);
    if (!heldEvent) {
      if (this.heldBytes + bytes > this.limits.maxBytes) return false;
      if ((forOwner?.bytes ?? 0) + bytes > share.bytes) return false;
    }
    const ofTarget = targetShare(share, (forOwner?.targets ?? 0) + (forTarget ? 0 : 1));
    if ((forTarget?.bytes ?? 0) + bytes > ofTarget.bytes) return false;
    return held < capOf(concurrency, ofTarget.deliveries);
  }

  hold(deliveryId: string, target: TargetSnapshot, event: EventSnapshot): void {
    if (this.deliveries.has(deliveryId)) return;
    let forTarget = this.targets.get(target.id);
    if (!forTarget) {
      let owner = this.owners.get(target.ownerId);
      if (!owner) {
        owner = { id: target.ownerId, targets: 0, deliveries: 0, events: 0, bytes: 0 };
        this.owners.set(target.ownerId, owner);
      }
      owner.targets++;
      forTarget = { id: target.id, owner, concurrency: 0, deliveries: 0, bytes: 0 };
      this.targets.set(target.id, forTarget);
    }
    const owner = forTarget.owner;
    let heldEvent = this.events.get(event.id);
    if (heldEvent) heldEvent.deliveries++;
    else {
      heldEvent = { deliveries: 1, bytes: eventBytes(event), owner };
      this.events.set(event.id, heldEvent);
      this.heldBytes += heldEvent.bytes;
      owner.events++;
      owner.bytes += heldEvent.bytes;
    }
    forTarget.concurrency = concurrencyOf(target);
    forTarget.deliveries++;
    forTarget.bytes += heldEvent.bytes;
    owner.deliveries++;
    this.deliveries.set(deliveryId, { target: forTarget, eventId: event.id });
  }

  /**
   * Frees a held delivery's room. Answers, for a target in `backlogged` (its work was left in the
   * table), whether it has drained to half of what its share allows, by count and by bytes, and
   * may be refilled; undefined for a delivery not held.
   */
  release(
    deliveryId: string,
    backlogged: ReadonlySet<string>,
  ): { targetId: string; refill: boolean } | undefined {
    const heldDelivery = this.deliveries.get(deliveryId);
    if (!heldDelivery) return undefined;
    this.deliveries.delete(deliveryId);
    const { target, eventId } = heldDelivery;
    const owner = target.owner;
    const heldEvent = this.events.get(eventId)!;
    if (--heldEvent.deliveries === 0) {
      this.events.delete(eventId);
      this.heldBytes -= heldEvent.bytes;
      heldEvent.owner.events--;
      heldEvent.owner.bytes -= heldEvent.bytes;
    }
    target.deliveries--;
    target.bytes -= heldEvent.bytes;
    owner.deliveries--;
    if (target.deliveries === 0) {
      this.targets.delete(target.id);
      owner.targets--;
    }
    if (owner.deliveries === 0) this.owners.delete(owner.id);
    const refill = backlogged.has(target.id) && (target.deliveries === 0 || this.drainedToHalf(target));
    return { targetId: target.id, refill };
  }

  clear(): void {
    this.deliveries.clear();
    this.targets.clear();
    this.owners.clear();
    this.events.clear();
    this.heldBytes = 0;
  }

  /** The rooms a claim from the table may fill (see ClaimRooms). */
  claimRooms(): ClaimRooms {
    const rooms: ClaimRooms = {
      targetIds: [],
      targetRooms: [],
      ownerIds: [],
      ownerRooms: [],
      newTargetShares: [],
      newTargetBytesRooms: [],
      newOwnerRoom: 0,
      newOwnerTargetShare: 0,
      newOwnerTargetBytesRoom: 0,
    };
    const heldShare = this.ownerShare(true);
    // beyond the budgets, only the floors of owners below theirs
    const budgetRoom = Math.max(0, this.budgetRoom());
    for (const owner of this.owners.values()) {
      const weight = owner.bytes / Math.max(owner.events, 1);
      rooms.ownerIds.push(owner.id);
      rooms.ownerRooms.push(
        Math.max(
          this.limits.ownerFloor - owner.deliveries,
          Math.min(
            heldShare.deliveries - owner.deliveries,
            Math.floor((heldShare.bytes - owner.bytes) / Math.max(weight, 1)),
            budgetRoom,
          ),
          0,
        ),
      );
      // a target not held yet counts itself among its owner's targets, and one more
      rooms.newTargetShares.push(targetShare(heldShare, owner.targets + 1).deliveries);
      rooms.newTargetBytesRooms.push(Math.floor(heldShare.bytes / (owner.targets + 2) / Math.max(weight, 1)));
    }
    for (const target of this.targets.values()) {
      const ofTarget = targetShare(heldShare, target.owner.targets);
      const belowFloor = target.owner.deliveries < this.limits.ownerFloor;
      const byCount = capOf(target.concurrency, ofTarget.deliveries) - target.deliveries;
      const byBytes = Math.floor(
        ((ofTarget.bytes - target.bytes) * target.deliveries) / Math.max(target.bytes, 1),
      );
      rooms.targetIds.push(target.id);
      rooms.targetRooms.push(
        Math.max(
          0,
          Math.min(byCount, Math.max(belowFloor ? target.concurrency - target.deliveries : 0, byBytes)),
        ),
      );
    }
    const newShare = this.ownerShare(false);
    rooms.newOwnerRoom = Math.max(
      this.limits.ownerFloor,
      Math.min(newShare.deliveries, Math.floor(newShare.bytes / MAX_EVENT_WEIGHT), budgetRoom),
    );
    rooms.newOwnerTargetShare = Math.floor(newShare.deliveries / 2);
    rooms.newOwnerTargetBytesRoom = Math.floor(newShare.bytes / 2 / MAX_EVENT_WEIGHT);
    return rooms;
  }

  /** What is left of the budgets, in deliveries whose events weigh the most they may. */
  private budgetRoom(): number {
    return Math.min(
      this.limits.maxDeliveries - this.deliveries.size,
      Math.floor((this.limits.maxBytes - this.heldBytes) / MAX_EVENT_WEIGHT),
    );
  }

  /** An owner's share of both budgets: equal among the owners holding work (with it, if `held`), less the reserve. */
  private ownerShare(held: boolean): { deliveries: number; bytes: number } {
    const owners = this.owners.size + (held ? 0 : 1);
    const { maxDeliveries, maxBytes } = this.limits;
    return {
      deliveries: Math.floor((maxDeliveries - Math.floor(maxDeliveries / OWNER_RESERVE_DIVISOR)) / owners),
      bytes: Math.floor((maxBytes - Math.floor(maxBytes / OWNER_RESERVE_DIVISOR)) / owners),
    };
  }

  private drainedToHalf(target: HeldForTarget): boolean {
    const ofTarget = targetShare(this.ownerShare(true), target.owner.targets);
    return (
      target.deliveries <= capOf(target.concurrency, ofTarget.deliveries) / 2 &&
      target.bytes <= ofTarget.bytes / 2
    );
  }
}

/** A target's share of its owner's: an equal part among the owner's `targets`, and one more for its next. */
function targetShare(
  ownerShare: { deliveries: number; bytes: number },
  targets: number,
): { deliveries: number; bytes: number } {
  return {
    deliveries: Math.floor(ownerShare.deliveries / (targets + 1)),
    bytes: Math.floor(ownerShare.bytes / (targets + 1)),
  };
}

/** A target's cap of held deliveries, given its share: TASKS_PER_CONCURRENCY per unit of concurrency, at most its share but never below its concurrency. */
function capOf(concurrency: number, share: number): number {
  return Math.min(TASKS_PER_CONCURRENCY * concurrency, Math.max(concurrency, share));
}

export function concurrencyOf(target: TargetSnapshot): number {
  return target.http?.concurrency ?? HTTP_TARGET_DEFAULTS.concurrency;
}
