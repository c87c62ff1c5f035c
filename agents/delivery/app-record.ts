import type { DeliveryApp, DeliveryIdentity, KubeObject } from '../../protocol/delivery';
import type { Backoff } from '../backoff';

/** What the leader's delivery keeps per app for this process's life. */
export type Phase = 'pending' | 'applying' | 'applied' | 'failed' | 'deleting' | 'deleted';

export interface AppRecord {
  appId: string;
  namespace: string;
  identity: DeliveryIdentity;
  /** Undefined when only a delete is known (a restarted agent). */
  app: DeliveryApp | undefined;
  /** refKey → the object as applied (labelled). */
  desired: Map<string, KubeObject>;
  phase: Phase;
  message?: string;
  /** When this agent created the app's namespace (a 403 just after is projection lag). */
  namespaceCreatedAt?: number;
  /** When the current generation's apply finished (its progress deadline runs from here). */
  appliedAt?: number;
  /** The current generation has been ready once: the deadline no longer applies. */
  wasReady: boolean;
  deadline?: ReturnType<typeof setTimeout>;
  retry?: ReturnType<typeof setTimeout>;
  backoff: Backoff;
  running?: Promise<void>;
  again: boolean;
  /** Kinds (apiVersion, kind) this app has had objects of, for pruning. */
  kinds: Map<string, [string, string]>;
  lastSent?: string;
}

export interface DriftState {
  timer?: ReturnType<typeof setTimeout>;
  /** Corrections in a row without the object staying put. */
  corrections: number;
  backoff: Backoff;
}

/** Cuts `text` to `max` characters, marking the cut. */
export const truncate = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;
