import { DurableObject } from 'cloudflare:workers';
import { createDb } from '../../db/client';
import { activeSilences } from '../../db/queries/alerts';
import type { BaseEnv } from '../bindings';
import { log } from '../log';
import { settings } from '../settings';
import { MAX_LIVE_ALERTS_PER_SHARD } from './caps';
import { fingerprint, groupLabelsOf } from './labels';
import { compileMatchers } from './matchers';
import {
  type ActiveSilence,
  Inhibitor,
  type InhibitRule,
  inhibitRulesIn,
  SilenceSet,
} from './muting';
import { buildNotification } from './notification';
import { queueBatches } from './queue-batches';
import type { AlertRoute, DeliveryMessage, RoutedAlert, StoredAlert } from './route';
import { AlertTables, type GroupRow } from './tables';

/**
 * Resolved alerts are kept this many per shard at most (newest first) for
 * the "recently resolved" list; older ones go sooner than the retention.
 */
export const RESOLVED_KEEP = 500;

/** What an ingest did: alerts stored, and new ones refused because the shard was full. */
export interface IngestResult {
  stored: number;
  refused: number;
  /** Live alerts in the shard afterwards. */
  live: number;
}

export interface IngestOptions {
  /**
   * Whether the per-shard cap applies: false for alerts the edge raises
   * itself (a bounded few per cluster that must never be refused, such as
   * ClusterDisconnected).
   */
  capped?: boolean;
}

/** The shard's counter of alerts refused by the cap. */
const REFUSED_COUNTER = 'alerts_refused_total';
/** Due groups planned between two turns of the event loop. */
const YIELD_EVERY_GROUPS = 10;
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Prometheus label names: safe inside a JSON path. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A due group's messages, and the state change to make once they are sent. */
interface GroupFlush {
  messages: DeliveryMessage[];
  commit: () => void;
}

/** A recently resolved alert, as GET /api/v1/alerts/resolved lists it. */
export type ResolvedView = StoredAlert;

export interface AlertView extends StoredAlert {
  state: 'active' | 'suppressed';
  silencedBy: string[];
  inhibitedBy: string[];
}

/**
 * Alert state and notification grouping for one shard (the alerts of one
 * cluster): deduplicated alerts by fingerprint, and per (receiver, group
 * labels) the Alertmanager timers — group_wait before the first
 * notification, group_interval between updates, repeat_interval for
 * reminders — on the object's single alarm (the earliest due group).
 */
export class AlertGroups extends DurableObject<BaseEnv> {
  #tables: AlertTables;

  constructor(ctx: DurableObjectState, env: BaseEnv) {
    super(ctx, env);
    this.#tables = new AlertTables(ctx.storage.sql);
  }

  /**
   * Stores alerts (deduplicated) and puts each into its receivers' groups.
   * Beyond MAX_LIVE_ALERTS_PER_SHARD live alerts, an alert the shard does
   * not hold live yet is refused (counted, never stored); refreshes and
   * resolves of held alerts always pass. Fingerprints are computed first,
   * so counting and storing run without a pause another call could slip into.
   */
  async ingest(
    items: RoutedAlert[],
    now = Date.now(),
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    const capped = options.capped ?? true;
    const fingerprints = await Promise.all(items.map(({ alert }) => fingerprint(alert.labels)));
    let live = this.#tables.liveCount(now);
    let stored = 0;
    let refused = 0;
    items.forEach(({ alert, routes }, i) => {
      const fp = fingerprints[i] ?? '';
      const existing = this.#tables.alertTimes(fp);
      const wasLive = existing !== undefined && existing.endsAt > now;
      const firing = alert.endsAt > now;
      if (firing && !wasLive) {
        if (capped && live >= MAX_LIVE_ALERTS_PER_SHARD) {
          refused++;
          return;
        }
        live++;
      } else if (!firing && wasLive) live--;
      const row = this.#tables.upsertAlert(
        { ...alert, fingerprint: fp, updatedAt: now, receivers: routes.map((r) => r.receiverName) },
        now,
        existing,
      );
      for (const route of routes) this.#join(row, route, firing, now);
      stored++;
    });
    if (refused > 0) {
      this.#tables.count(REFUSED_COUNTER, refused);
      log.warn('alert shard full: new alerts refused', {
        shard: this.ctx.id.name ?? this.ctx.id.toString(),
        refused,
        live,
        limit: MAX_LIVE_ALERTS_PER_SHARD,
      });
    }
    this.#pruneResolved(now);
    await this.#rearm();
    return { stored, refused, live };
  }

  /** The shard's size against its cap, and how many alerts the cap refused so far. */
  async stats(now = Date.now()): Promise<{ live: number; limit: number; refusedTotal: number }> {
    return {
      live: this.#tables.liveCount(now),
      limit: MAX_LIVE_ALERTS_PER_SHARD,
      refusedTotal: this.#tables.counter(REFUSED_COUNTER),
    };
  }

  /** Resolved alerts no group still needs are forgotten after the retention (and beyond the count bound). */
  #pruneResolved(now: number): void {
    this.#tables.forgetResolved(now - this.#retentionMs);
    this.#tables.trimResolved(now, RESOLVED_KEEP);
  }

  get #retentionMs(): number {
    return settings(this.env).resolvedAlertRetentionSeconds * 1000;
  }

  /** Alerts resolved within the retention, most recently ended first (at most `limit`). */
  async listResolved(now = Date.now(), limit = RESOLVED_KEEP): Promise<ResolvedView[]> {
    const since = now - this.#retentionMs;
    return this.#tables.resolvedAlerts(now, limit).filter((a) => a.endsAt >= since);
  }

  #join(alert: StoredAlert, route: AlertRoute, firing: boolean, now: number): void {
    const groupLabels = groupLabelsOf(alert.labels, route.groupBy);
    const key = `${route.receiverId}:${JSON.stringify(groupLabels)}`;
    const group = this.#tables.group(key);
    if (!group) {
      // A group is born only by a firing alert: a resolve for an unknown group has nobody to tell.
      if (!firing) return;
      this.#tables.createGroup({
        key,
        route,
        groupLabels,
        createdAt: now,
        nextFlushAt: now + route.groupWaitMs,
      });
    } else this.#tables.updateRoute(key, route);
    this.#tables.addToGroup(key, alert.fingerprint);
  }

  /** Alerts not yet resolved, with whether silences or inhibition mute them. */
  async listAlerts(
    silences: ActiveSilence[],
    now = Date.now(),
    inhibitRules?: InhibitRule[],
  ): Promise<AlertView[]> {
    const alerts = this.#tables.liveAlerts(now);
    // Callers listing many shards read the rules once and pass them.
    const rules = inhibitRules ?? (await inhibitRulesIn(createDb(this.env.DB)));
    const silenceSet = new SilenceSet(silences);
    const inhibitor = new Inhibitor(rules, alerts);
    return alerts.map((alert) => {
      const silenced = silenceSet.silencedBy(alert.labels);
      const inhibited = inhibitor.inhibitedBy(alert.labels, alert.fingerprint);
      return {
        ...alert,
        state: silenced.length || inhibited.length ? 'suppressed' : 'active',
        silencedBy: silenced,
        inhibitedBy: inhibited,
      };
    });
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#pruneResolved(now);
    await this.flush(now);
  }

  /**
   * Sends what the due groups owe and re-arms the alarm; returns the number
   * of notifications made. Queue messages go out before the group's state
   * changes, with ids fixed by (group, sequence): if anything fails after
   * the send, the retried alarm makes the same ids and the consumer's
   * dedup keeps the channel from hearing it twice.
   */
  async flush(now = Date.now()): Promise<number> {
    const due = this.#tables.dueGroups(now);
    let made = 0;
    if (due.length) {
      const db = createDb(this.env.DB);
      const [active, rules] = await Promise.all([
        activeSilences(db, new Date(now)),
        inhibitRulesIn(db),
      ]);
      const silences = new SilenceSet(active.map((s) => ({ id: s.id, matchers: s.matchers })));
      const inhibitor = new Inhibitor(rules, this.#inhibitionSources(now, rules));
      const muted = (alert: StoredAlert) =>
        silences.isSilenced(alert.labels) || inhibitor.isInhibited(alert.labels, alert.fingerprint);
      const flushes: GroupFlush[] = [];
      for (const [i, group] of due.entries()) {
        flushes.push(await this.#planFlush(group, now, muted));
        // Hundreds of due groups are a long stretch of work: let intake in between.
        if (i % YIELD_EVERY_GROUPS === YIELD_EVERY_GROUPS - 1) await yieldToEventLoop();
      }
      // Every due group's messages leave in full batches, side by side, before any group's state moves on.
      await Promise.all(
        queueBatches(flushes.flatMap((f) => f.messages)).map((batch) =>
          this.env.NOTIFICATIONS.sendBatch(batch),
        ),
      );
      for (const f of flushes) {
        f.commit();
        if (f.messages.length > 0) made++;
      }
    }
    await this.#rearm();
    return made;
  }

  /**
   * The live alerts that match some rule's source: found by each rule's
   * first `name="value"` matcher in SQL when every rule has one (a shard may
   * hold thousands of alerts, and a source is rare), else by reading all.
   */
  #inhibitionSources(now: number, rules: InhibitRule[]): StoredAlert[] {
    if (rules.length === 0) return [];
    const keys = rules.map((rule) =>
      rule.source.find((m) => m.op === '=' && m.value !== '' && LABEL_NAME.test(m.name)),
    );
    const candidates = keys.every((k) => k !== undefined)
      ? this.#tables.liveAlertsWithAnyLabel(now, keys)
      : this.#tables.liveAlerts(now);
    const isSource = rules.map((rule) => compileMatchers(rule.source));
    return candidates.filter((a) => isSource.some((matches) => matches(a.labels)));
  }

  /** What a due group owes (its messages) and how its state moves on once they are sent. */
  async #planFlush(
    group: GroupRow,
    now: number,
    muted: (alert: StoredAlert) => boolean,
  ): Promise<GroupFlush> {
    const members = this.#tables.groupAlerts(group.key);
    const firing = members.filter((a) => a.endsAt > now && !muted(a));
    const resolved = members.filter((a) => a.endsAt <= now);
    const sent = new Set(group.sentFiring);
    const newlyFiring = firing.some((a) => !sent.has(a.fingerprint));
    const resolvedToSend = group.route.sendResolved
      ? resolved.filter((a) => sent.has(a.fingerprint))
      : [];
    const repeatDue =
      firing.length > 0 &&
      group.lastSentAt !== null &&
      now - group.lastSentAt >= group.route.repeatIntervalMs;
    const send = newlyFiring || resolvedToSend.length > 0 || repeatDue;

    let messages: DeliveryMessage[] = [];
    if (send) {
      const notification = await buildNotification(group, [...firing, ...resolvedToSend], now);
      messages = group.route.channelIds.map((channelId) => ({
        notificationId: notification.id,
        channelId,
        receiverId: group.route.receiverId,
        receiverName: group.route.receiverName,
        owner: group.route.owner,
        createdAt: now,
        payload: notification.payload,
      }));
    }
    const commit = () => {
      const firingNow = firing.map((a) => a.fingerprint);
      const resolvedNow = new Set(resolved.map((a) => a.fingerprint));
      this.#tables.dropFromGroup(group.key, [...resolvedNow]);
      // Counted now, not from `members`: an alert may have joined while the messages went out.
      if (this.#tables.groupSize(group.key) === 0) this.#tables.deleteGroup(group.key);
      else
        this.#tables.afterFlush(group.key, {
          nextFlushAt: now + group.route.groupIntervalMs,
          // Unsent (muted) alerts leave the sent set, so they notify once unmuted.
          sentFiring: send ? firingNow : group.sentFiring.filter((fp) => firingNow.includes(fp)),
          lastSentAt: send ? now : group.lastSentAt,
          seq: send ? group.seq + 1 : group.seq,
        });
    };
    return { messages, commit };
  }

  /** The alarm rings for the earliest due group, or when the oldest resolved alert is to be forgotten. */
  async #rearm(): Promise<void> {
    const flushAt = this.#tables.nextFlushAt();
    const end = this.#tables.earliestUngroupedEnd();
    const pruneAt = end === null ? null : end + this.#retentionMs;
    const times = [flushAt, pruneAt].filter((t): t is number => t !== null);
    if (times.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(...times));
  }

  /**
   * Forgets every alert, group and timer: the cluster was deleted, and a
   * cluster registered later must never see any of it (issue #12, attack 7).
   */
  async wipe(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#tables = new AlertTables(this.ctx.storage.sql);
  }

  /** The shard's groups, for tests and diagnostics. */
  async groups(): Promise<GroupRow[]> {
    return this.#tables.allGroups();
  }
}

/** The binding of the alert shards, for the modules that call them. */
export interface AlertGroupsBinding {
  ALERT_GROUPS: DurableObjectNamespace<AlertGroups>;
}

/** What alert intake and the edge's own alert rules need: the plain bindings and the shards. */
export interface AlertingEnv extends BaseEnv, AlertGroupsBinding {}
