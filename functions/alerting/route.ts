import type { IncomingAlert } from './intake-schema';

/**
 * How one receiver wants an alert grouped and sent: resolved by the worker
 * at intake (receivers live in D1) and handed to the alert's shard, so the
 * Durable Object never reads receiver tables and a receiver's new settings
 * apply from the next resend on.
 */
export interface AlertRoute {
  receiverId: string;
  receiverName: string;
  /** `platform`, `workspace:<id>` or `cluster:<id>`. */
  owner: string;
  channelIds: string[];
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  sendResolved: boolean;
  /** The edge's URL (PUBLIC_URL, else the origin the alert was posted to): the payload's externalURL. */
  externalURL?: string;
}

export interface RoutedAlert {
  alert: IncomingAlert;
  routes: AlertRoute[];
}

/** An alert as a shard stores and lists it. */
export interface StoredAlert extends IncomingAlert {
  fingerprint: string;
  updatedAt: number;
  receivers: string[];
}

/** The queue message: one per (notification, channel). */
export interface DeliveryMessage {
  notificationId: string;
  channelId: string;
  receiverId: string;
  receiverName: string;
  owner: string;
  /** When the notification was made, for first-notification latency figures. */
  createdAt: number;
  /** Times a rate limit sent it back to the queue (each a fresh message, not a retry). */
  deferrals?: number;
  payload: WebhookPayload;
}

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alertmanager webhook payload v4, what generic webhooks receive and what templates read. */
export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}
