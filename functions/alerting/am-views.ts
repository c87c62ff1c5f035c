import type { SilenceRow } from '../../db/queries/alerts';
import type { AlertView } from './alert-groups';
import { toAmMatcher } from './am-filter';

const iso = (ms: number) => new Date(ms).toISOString();

/** Alertmanager API v2 GettableAlert. */
export const gettableAlert = (a: AlertView) => ({
  labels: a.labels,
  annotations: a.annotations,
  startsAt: iso(a.startsAt),
  endsAt: iso(a.endsAt),
  updatedAt: iso(a.updatedAt),
  generatorURL: a.generatorURL,
  fingerprint: a.fingerprint,
  receivers: a.receivers.map((name) => ({ name })),
  status: { state: a.state, silencedBy: a.silencedBy, inhibitedBy: a.inhibitedBy },
});

export function silenceState(s: SilenceRow, now: number): 'active' | 'pending' | 'expired' {
  if (s.endsAt.getTime() <= now) return 'expired';
  return s.startsAt.getTime() > now ? 'pending' : 'active';
}

/** Alertmanager API v2 GettableSilence. */
export const gettableSilence = (s: SilenceRow, now: number) => ({
  id: s.id,
  status: { state: silenceState(s, now) },
  updatedAt: s.updatedAt.toISOString(),
  matchers: s.matchers.map(toAmMatcher),
  startsAt: s.startsAt.toISOString(),
  endsAt: s.endsAt.toISOString(),
  createdBy: s.createdBy,
  comment: s.comment,
});
