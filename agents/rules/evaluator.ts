import {
  type ActiveAlert,
  type EvaluatedRule,
  MAX_ALERTS_PER_RULE,
  type RuleEvaluation,
  type RuleGroup,
  type RulesHealthFrame,
  type RulesSyncFrame,
} from '../../protocol/rules';
import type { Logger } from '../log';
import { alertLabels } from './alert-labels';
import { type Candidate, RuleAlerts, type TrackedAlert } from './alert-state';
import { availabilityQueries, missingMetrics } from './availability';
import { goFloat } from './go-format';
import { instantQuery, type Sample } from './prometheus-query';
import type { RuleStateSnapshot, RuleStateStore } from './state-store';
import { expandTemplate } from './template';

/** Prometheus' default resend delay (--rules.alert.resend-delay). */
export const RESEND_DELAY_MS = 60_000;
/** The edge hears each rule's health at most this often. */
export const HEALTH_MIN_INTERVAL_MS = 10_000;
/** Alerts in one spooled batch. */
const ALERTS_PER_BATCH = 1_000;
/** Queries in flight at once, all groups together (a few keep-alive connections). */
const CONCURRENCY = 4;
/** Active alerts listed per rule in `rules-health`. */
const LISTED_ALERTS = 100;

/** The Alertmanager webhook (v4) payload the edge ingests as an `alerts` batch. */
export interface AlertsPayload {
  version: '4';
  status: 'firing' | 'resolved';
  receiver: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  truncatedAlerts: number;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
  }[];
}

export interface RuleEvaluatorOptions {
  prometheusUrl: string;
  /** Spools an `alerts` batch; resolves once it is durable. */
  submitAlerts: (payload: AlertsPayload) => Promise<unknown>;
  /** Sends `rules-health`; false when the tunnel is down (sent again on connect). */
  sendHealth: (frame: RulesHealthFrame) => boolean;
  /** Pending/firing state across leader hand-overs (none: state lives in memory only). */
  stateStore?: RuleStateStore;
  externalLabels?: Record<string, string>;
  initial?: RulesSyncFrame;
  log: Logger;
  now?: () => number;
  resendDelayMs?: number;
  healthMinIntervalMs?: number;
  /** Every group's interval instead of its own (tests and benches). */
  intervalMs?: number;
  /** How long a changed state waits before it is written (default 1 s). */
  stateDebounceMs?: number;
}

export interface RuleEvaluator {
  /** Takes a new rule set (whole); alerts of rules no longer in it are resolved. */
  setRules(frame: RulesSyncFrame): void;
  /** The tunnel (re)connected: the edge hears the health again. */
  connected(): void;
  /** Every rule's last evaluation. */
  health(): RuleEvaluation[];
  /** Resolves after every group evaluated at least once since the call (tests). */
  evaluated(): Promise<void>;
  /** Stops evaluating; `flush` writes pending state first (a graceful hand-over). */
  stop(options?: { flush?: boolean }): Promise<void>;
}

/** Prometheus staggers groups by a hash of their name, so they do not all query at once. */
function offsetFor(name: string, intervalMs: number): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h % intervalMs;
}

const iso = (ms: number) => new Date(ms).toISOString();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Evaluates the cluster's alerting rules on the leader, with Prometheus'
 * semantics: every group on its own interval (staggered; an evaluation
 * never overlaps the previous one of its group, missed ticks are skipped),
 * each rule an instant query with a deadline inside the interval, alerts
 * pending → firing → resolved, firing ones re-sent every resend delay and
 * resolutions once, all through the durable spool.
 */
export function startRuleEvaluator(options: RuleEvaluatorOptions): RuleEvaluator {
  const { log } = options;
  const now = options.now ?? Date.now;
  const resendDelayMs = options.resendDelayMs ?? RESEND_DELAY_MS;
  const healthMinIntervalMs = options.healthMinIntervalMs ?? HEALTH_MIN_INTERVAL_MS;
  const externalLabels = options.externalLabels ?? {};
  const stopper = new AbortController();
  const states = new Map<string, RuleAlerts>();
  const healths = new Map<string, RuleEvaluation>();
  const runners = new Map<string, GroupRunner>();
  let frame: RulesSyncFrame | undefined;
  let waiters: { pending: Set<string>; resolve: () => void }[] = [];

  // Hand-over: the previous leader's state is read before the first evaluation.
  const restored: Promise<void> = (async () => {
    if (!options.stateStore) return;
    try {
      const snapshot = await options.stateStore.load();
      if (!snapshot) return;
      let count = 0;
      for (const [id, alerts] of Object.entries(snapshot)) {
        const rule = states.get(id) ?? new RuleAlerts();
        for (const alert of alerts) {
          rule.alerts.set(fingerprintOf(alert), alert);
          count++;
        }
        states.set(id, rule);
      }
      log.info('restored rule state of the previous leader', { alerts: count });
    } catch (error) {
      log.warn('cannot read the rule state; pending alerts restart their `for`', {
        error: String(error),
      });
    }
  })();

  // ---- state persistence (debounced, only on change) ----
  let lastWritten = '';
  let writeTimer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const snapshot = (): RuleStateSnapshot => {
    const out: RuleStateSnapshot = {};
    for (const [id, rule] of states) if (rule.alerts.size) out[id] = [...rule.alerts.values()];
    return out;
  };
  const writeState = () => {
    writeTimer = undefined;
    const store = options.stateStore;
    if (!store) return;
    const state = snapshot();
    const text = JSON.stringify(state);
    if (text === lastWritten) return;
    writing = writing
      .then(() => store.save(state))
      .then(() => {
        lastWritten = text;
      })
      .catch((error: unknown) => log.warn('cannot write the rule state', { error: String(error) }));
  };
  const stateChanged = () => {
    if (!options.stateStore || writeTimer || stopper.signal.aborted) return;
    writeTimer = setTimeout(writeState, options.stateDebounceMs ?? 1000);
    writeTimer.unref();
  };

  // ---- health (whole list, at most every healthMinIntervalMs, only when connected) ----
  let lastHealthAt = 0;
  let healthTimer: NodeJS.Timeout | undefined;
  const healthList = (): RuleEvaluation[] => {
    if (!frame) return [];
    const out: RuleEvaluation[] = [];
    for (const group of frame.groups)
      for (const rule of group.rules)
        out.push(
          healths.get(rule.id) ?? {
            id: rule.id,
            health: 'unknown',
            lastEvaluation: '',
            evaluationMs: 0,
            samples: 0,
            state: 'inactive',
            alerts: [],
          },
        );
    return out;
  };
  const sendHealth = () => {
    healthTimer = undefined;
    if (!frame || stopper.signal.aborted) return;
    if (options.sendHealth({ type: 'rules-health', hash: frame.hash, rules: healthList() }))
      lastHealthAt = now();
  };
  const scheduleHealth = () => {
    if (healthTimer || stopper.signal.aborted) return;
    healthTimer = setTimeout(sendHealth, Math.max(0, lastHealthAt + healthMinIntervalMs - now()));
    healthTimer.unref();
  };

  // ---- one group's evaluation ----
  let freeSlots = CONCURRENCY;
  const slotQueue: (() => void)[] = [];
  /** One instant query, at most CONCURRENCY of them at once across groups. */
  const query = async (expr: string, signal: AbortSignal, time: number): Promise<Sample[]> => {
    if (freeSlots > 0) freeSlots--;
    else await new Promise<void>((resolve) => slotQueue.push(resolve));
    try {
      return await instantQuery(expr, { baseUrl: options.prometheusUrl, signal, time });
    } finally {
      const next = slotQueue.shift();
      if (next) next();
      else freeSlots++;
    }
  };

  const candidatesOf = (rule: EvaluatedRule, samples: Sample[], problems: string[]): Candidate[] =>
    samples.map((sample) => {
      const data = { labels: sample.metric, externalLabels, value: sample.value };
      const expand = (templates: Record<string, string>) => {
        const out: Record<string, string> = {};
        for (const [name, template] of Object.entries(templates)) {
          const { text, error } = expandTemplate(template, data);
          if (error) problems.push(`${name}: ${error}`);
          out[name] = text;
        }
        return out;
      };
      return {
        labels: alertLabels(rule, sample.metric, expand(rule.labels)),
        annotations: expand(rule.annotations),
        value: sample.value,
      };
    });

  const evaluateRule = async (
    rule: EvaluatedRule,
    missing: string[] | undefined,
    ts: number,
    signal: AbortSignal,
  ) => {
    const started = performance.now();
    const alerts = states.get(rule.id) ?? new RuleAlerts();
    states.set(rule.id, alerts);
    const base = { id: rule.id, lastEvaluation: iso(ts) };
    try {
      const samples = await query(rule.expr, signal, ts);
      const problems: string[] = [];
      const candidates = candidatesOf(rule, samples, problems);
      const duplicate = firstDuplicate(candidates);
      if (duplicate)
        throw new Error(
          'vector contains metrics with the same labelset after applying alert labels',
        );
      const { dropped } = alerts.apply(
        candidates,
        { forMs: rule.forSeconds * 1000, keepFiringForMs: rule.keepFiringForSeconds * 1000 },
        ts,
      );
      if (dropped)
        problems.push(`${dropped} alerts beyond the limit of ${MAX_ALERTS_PER_RULE} not kept`);
      // Evaluated all the same, so its alerts follow Prometheus (a vanished series resolves),
      // but never green: the health names what the cluster lacks.
      const unavailable = !problems.length && missing;
      healths.set(rule.id, {
        ...base,
        health: problems.length ? 'error' : unavailable ? 'unavailable' : 'ok',
        ...(problems.length ? { lastError: problems.join('; ').slice(0, 4096) } : {}),
        ...(unavailable
          ? {
              lastError: `no series of ${unavailable.join(', ')} in Prometheus`,
              missingMetrics: unavailable.slice(0, 64),
            }
          : {}),
        evaluationMs: round(performance.now() - started),
        samples: samples.length,
        ...activeOf(alerts),
      });
    } catch (error) {
      healths.set(rule.id, {
        ...base,
        health: 'error',
        lastError: (error instanceof Error ? error.message : String(error)).slice(0, 4096),
        evaluationMs: round(performance.now() - started),
        samples: 0,
        ...activeOf(alerts),
      });
    }
  };

  const deliver = async (rules: readonly EvaluatedRule[], ts: number, intervalMs: number) => {
    const due: { rule: RuleAlerts; alerts: TrackedAlert[] }[] = [];
    for (const r of rules) {
      const rule = states.get(r.id);
      if (!rule) continue;
      const alerts = rule.due(ts, resendDelayMs);
      if (alerts.length) due.push({ rule, alerts });
    }
    const all = due.flatMap((d) => d.alerts);
    if (!all.length) return;
    // Prometheus: valid for four resend delays (or intervals), so two lost sends do not resolve it.
    const validFor = 4 * Math.max(resendDelayMs, intervalMs);
    for (let i = 0; i < all.length; i += ALERTS_PER_BATCH)
      await options.submitAlerts(payloadOf(all.slice(i, i + ALERTS_PER_BATCH), ts, validFor));
    for (const { rule, alerts } of due) rule.markSent(alerts, ts);
  };

  const evaluateGroup = async (runner: GroupRunner, ts: number) => {
    const rules = runner.group.rules;
    const intervalMs = runner.intervalMs;
    const deadline = AbortSignal.timeout(Math.max(500, Math.floor(intervalMs * 0.8)));
    const signal = AbortSignal.any([stopper.signal, deadline]);
    let missing: Map<string, string[]>;
    try {
      const found: Sample[] = [];
      for (const existence of availabilityQueries(rules))
        found.push(...(await query(existence, signal, ts)));
      missing = missingMetrics(rules, found);
    } catch (error) {
      if (stopper.signal.aborted) return;
      // Prometheus is down or slow: every rule says so; alerts keep their state.
      const message = `cannot ask Prometheus which metrics exist: ${(error as Error).message}`;
      for (const rule of rules) {
        const alerts = states.get(rule.id) ?? new RuleAlerts();
        healths.set(rule.id, {
          id: rule.id,
          health: 'error',
          lastError: message.slice(0, 4096),
          lastEvaluation: iso(ts),
          evaluationMs: 0,
          samples: 0,
          ...activeOf(alerts),
        });
      }
      scheduleHealth();
      return;
    }
    let next = 0;
    const worker = async () => {
      while (next < rules.length && !stopper.signal.aborted) {
        const rule = rules[next++] as EvaluatedRule;
        await evaluateRule(rule, missing.get(rule.id), ts, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rules.length) }, worker));
    if (stopper.signal.aborted) return;
    try {
      await deliver(rules, ts, intervalMs);
    } catch (error) {
      log.warn('cannot spool alerts; they are sent again next evaluation', {
        error: String(error),
      });
    }
    stateChanged();
    scheduleHealth();
  };

  class GroupRunner {
    readonly done: Promise<void>;
    private readonly stop = new AbortController();
    constructor(
      public group: RuleGroup,
      readonly intervalMs: number,
    ) {
      this.done = this.loop();
    }
    private async loop(): Promise<void> {
      await restored;
      const signal = AbortSignal.any([this.stop.signal, stopper.signal]);
      const offset = offsetFor(this.group.name, this.intervalMs);
      const start = now();
      let at = start - ((start - offset) % this.intervalMs) + this.intervalMs;
      if (at - start >= this.intervalMs) at -= this.intervalMs;
      while (!signal.aborted) {
        await sleep(at - now(), signal);
        if (signal.aborted) return;
        await evaluateGroup(this, at);
        for (const waiter of waiters) waiter.pending.delete(this.group.name);
        for (const waiter of waiters) if (!waiter.pending.size) waiter.resolve();
        waiters = waiters.filter((w) => w.pending.size > 0);
        at += this.intervalMs;
        const late = now() - at;
        if (late >= 0) {
          const missed = Math.floor(late / this.intervalMs) + 1;
          log.warn('rule group evaluation took longer than its interval; skipping', {
            group: this.group.name,
            missed,
          });
          at += missed * this.intervalMs;
        }
      }
    }
    halt(): Promise<void> {
      this.stop.abort();
      return this.done;
    }
  }

  const resolveRemoved = (ids: Set<string>) => {
    const gone: { rule: RuleAlerts; alerts: TrackedAlert[] }[] = [];
    const ts = now();
    for (const [id, rule] of states) {
      if (ids.has(id)) continue;
      rule.resolveAll(ts);
      const alerts = rule.due(ts, resendDelayMs);
      states.delete(id);
      healths.delete(id);
      if (alerts.length) gone.push({ rule, alerts });
    }
    const all = gone.flatMap((g) => g.alerts);
    if (all.length)
      void options
        .submitAlerts(payloadOf(all, ts, 0))
        .catch((error: unknown) =>
          log.warn('cannot spool the resolution of removed rules', { error: String(error) }),
        );
    stateChanged();
  };

  const setRules = (next: RulesSyncFrame) => {
    if (frame?.hash === next.hash) return;
    frame = next;
    const ids = new Set(next.groups.flatMap((g) => g.rules.map((r) => r.id)));
    // Only once the previous leader's state is in: its rules may be ones this set dropped.
    void restored.then(() => {
      if (frame === next) resolveRemoved(ids);
    });
    const names = new Set<string>();
    for (const group of next.groups) {
      names.add(group.name);
      const intervalMs = options.intervalMs ?? group.intervalSeconds * 1000;
      const running = runners.get(group.name);
      if (running && running.intervalMs === intervalMs) running.group = group;
      else {
        void running?.halt();
        runners.set(group.name, new GroupRunner(group, intervalMs));
      }
    }
    for (const [name, runner] of runners)
      if (!names.has(name)) {
        void runner.halt();
        runners.delete(name);
      }
    log.info('rules updated', {
      hash: next.hash,
      groups: next.groups.length,
      rules: ids.size,
    });
    scheduleHealth();
  };

  if (options.initial) setRules(options.initial);

  return {
    setRules,
    connected: () => {
      lastHealthAt = 0;
      if (healthTimer) clearTimeout(healthTimer);
      healthTimer = undefined;
      scheduleHealth();
    },
    health: healthList,
    evaluated: () =>
      new Promise((resolve) => {
        const pending = new Set(runners.keys());
        if (!pending.size) return resolve();
        waiters.push({ pending, resolve });
      }),
    async stop(stopOptions = {}) {
      stopper.abort();
      await Promise.all([...runners.values()].map((r) => r.halt()));
      runners.clear();
      if (healthTimer) clearTimeout(healthTimer);
      if (writeTimer) clearTimeout(writeTimer);
      writeTimer = undefined;
      if (stopOptions.flush) writeState();
      await writing;
      for (const waiter of waiters) waiter.resolve();
      waiters = [];
    },
  };
}

function fingerprintOf(alert: TrackedAlert): string {
  return JSON.stringify(
    Object.entries(alert.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function firstDuplicate(candidates: readonly Candidate[]): boolean {
  if (candidates.length < 2) return false;
  const seen = new Set<string>();
  for (const c of candidates) {
    const fp = fingerprintOf({ labels: c.labels } as TrackedAlert);
    if (seen.has(fp)) return true;
    seen.add(fp);
  }
  return false;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** The rule's state and its active alerts (≤ 100 listed) as Prometheus' /api/v1/rules shows them. */
function activeOf(rule: RuleAlerts): Pick<RuleEvaluation, 'state' | 'alerts' | 'alertsOmitted'> {
  const alerts: ActiveAlert[] = [];
  let omitted = 0;
  for (const alert of rule.alerts.values()) {
    if (alert.state === 'inactive') continue;
    if (alerts.length >= LISTED_ALERTS) {
      omitted++;
      continue;
    }
    alerts.push({
      labels: alert.labels,
      annotations: alert.annotations,
      state: alert.state,
      activeAt: iso(alert.activeAt),
      value: goFloat(alert.value),
    });
  }
  return { state: rule.ruleState(), alerts, ...(omitted ? { alertsOmitted: omitted } : {}) };
}

function payloadOf(alerts: readonly TrackedAlert[], ts: number, validForMs: number): AlertsPayload {
  const firing = alerts.some((a) => a.state === 'firing');
  return {
    version: '4',
    status: firing ? 'firing' : 'resolved',
    receiver: 'edgetower-rules',
    groupKey: 'edgetower-rules',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: '',
    truncatedAlerts: 0,
    alerts: alerts.map((alert) => ({
      status: alert.state === 'firing' ? 'firing' : 'resolved',
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: iso(alert.firedAt ?? alert.activeAt),
      endsAt: iso(alert.state === 'firing' ? ts + validForMs : (alert.resolvedAt ?? ts)),
      generatorURL: '',
    })),
  };
}
