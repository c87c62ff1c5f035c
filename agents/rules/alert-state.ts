import { MAX_ALERTS_PER_RULE } from '../../protocol/rules';
import { fingerprint, type Labels } from './alert-labels';

export type TrackedState = 'pending' | 'firing' | 'inactive';

/** One alert of a rule, as Prometheus' rule manager keeps it (times in epoch ms). */
export interface TrackedAlert {
  labels: Labels;
  annotations: Labels;
  value: number;
  state: TrackedState;
  /** When the condition was first seen: the `for` clock. */
  activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
  lastSentAt?: number;
  /** When the condition cleared while firing with keep_firing_for. */
  keepFiringSince?: number;
}

/** One result series, labelled and annotated as its alert would be. */
export interface Candidate {
  labels: Labels;
  annotations: Labels;
  value: number;
}

export interface RuleTiming {
  forMs: number;
  keepFiringForMs: number;
}

/**
 * The active alerts of one rule and Prometheus' state machine over them
 * (rules/alerting.go): a series that appears is `pending`, `firing` once it
 * has been active for `for`, kept firing `keep_firing_for` after it
 * disappears, then `inactive` (resolved) until the resolution is sent.
 */
export class RuleAlerts {
  readonly alerts = new Map<string, TrackedAlert>();

  /**
   * Applies one evaluation's result at `now`. Answers how many new alerts
   * did not fit under MAX_ALERTS_PER_RULE (they are counted, not kept).
   */
  apply(candidates: readonly Candidate[], timing: RuleTiming, now: number): { dropped: number } {
    const seen = new Set<string>();
    let dropped = 0;
    for (const candidate of candidates) {
      const fp = fingerprint(candidate.labels);
      seen.add(fp);
      const known = this.alerts.get(fp);
      if (known && known.state !== 'inactive') {
        known.value = candidate.value;
        known.annotations = candidate.annotations;
        continue;
      }
      if (!known && this.activeCount() >= MAX_ALERTS_PER_RULE) {
        seen.delete(fp);
        dropped++;
        continue;
      }
      this.alerts.set(fp, { ...candidate, state: 'pending', activeAt: now });
    }
    for (const [fp, alert] of this.alerts) {
      if (!seen.has(fp)) {
        if (alert.state === 'firing' && timing.keepFiringForMs > 0) {
          alert.keepFiringSince ??= now;
          if (now - alert.keepFiringSince < timing.keepFiringForMs) continue;
        }
        if (alert.state === 'pending') this.alerts.delete(fp);
        else if (alert.state === 'firing') {
          alert.state = 'inactive';
          alert.resolvedAt = now;
          alert.keepFiringSince = undefined;
        }
        continue;
      }
      alert.keepFiringSince = undefined;
      if (alert.state === 'pending' && now - alert.activeAt >= timing.forMs) {
        alert.state = 'firing';
        alert.firedAt = now;
      }
    }
    return { dropped };
  }

  /** Alerts due to be sent at `now`: resolutions not sent yet, firing ones every `resendDelayMs`. */
  due(now: number, resendDelayMs: number): TrackedAlert[] {
    const out: TrackedAlert[] = [];
    for (const alert of this.alerts.values()) {
      if (alert.state === 'pending') continue;
      if (alert.state === 'inactive') {
        if (alert.lastSentAt === undefined || alert.lastSentAt < (alert.resolvedAt ?? 0))
          out.push(alert);
      } else if (alert.lastSentAt === undefined || alert.lastSentAt + resendDelayMs <= now)
        out.push(alert);
    }
    return out;
  }

  /** Records that `sent` reached the spool: resolutions are done with, firing alerts wait for the next resend. */
  markSent(sent: readonly TrackedAlert[], now: number): void {
    for (const alert of sent) {
      alert.lastSentAt = now;
      if (alert.state === 'inactive') this.alerts.delete(fingerprint(alert.labels));
    }
  }

  /** Resolves every firing alert at `now` (the rule is gone); pending ones are dropped. */
  resolveAll(now: number): void {
    for (const [fp, alert] of this.alerts) {
      if (alert.state === 'pending') this.alerts.delete(fp);
      else if (alert.state === 'firing') {
        alert.state = 'inactive';
        alert.resolvedAt = now;
      }
    }
  }

  /** The rule's state as Prometheus shows it: firing if any alert fires, else pending if any is. */
  ruleState(): 'inactive' | 'pending' | 'firing' {
    let state: 'inactive' | 'pending' | 'firing' = 'inactive';
    for (const alert of this.alerts.values()) {
      if (alert.state === 'firing') return 'firing';
      if (alert.state === 'pending') state = 'pending';
    }
    return state;
  }

  activeCount(): number {
    let n = 0;
    for (const alert of this.alerts.values()) if (alert.state !== 'inactive') n++;
    return n;
  }
}
