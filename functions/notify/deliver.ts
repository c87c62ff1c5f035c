import type { ChannelType } from '../../db/schema/notification-channels';
import type { Env } from '../env';
import {
  dingtalkRequest,
  discordRequest,
  feishuRequest,
  slackRequest,
  telegramRequest,
  webhookRequest,
  wecomRequest,
} from './senders/http-senders';
import { mailApiRequest } from './senders/mail-api';
import { PermanentFailure, permanentStatus, type Refusal } from './senders/provider-errors';
import { sendEmail } from './senders/smtp';
import { SmtpReplyError } from './senders/smtp-session';
import type { OutboundRequest, SendInput } from './senders/types';
import { wecomAppRequests } from './senders/wecom-app';
import { assertUrlAllowed, channelTargetProblem, TargetRefused } from './target-check';

const TIMEOUT_MS = 10_000;

export type SendResult =
  | { ok: true; latencyMs: number }
  /**
   * `permanent`: retrying cannot help (a refused destination, bad
   * credentials, an unknown robot or chat, a payload the provider refuses);
   * the consumer gives up at once.
   */
  | { ok: false; latencyMs: number; error: string; permanent?: boolean }
  /** Nothing was sent: a rate limit is used up for `retryAfterMs`. */
  | { ok: false; latencyMs: 0; error: string; retryAfterMs: number };

/** Asked before sending how many messages a delivery makes; answers how long to wait, if at all. */
export type SendGate = (messages: number) => Promise<number | undefined>;

/** The HTTP requests a delivery makes; undefined for SMTP email (an `smtpHost`), which is no HTTP. */
const httpBuilders: Record<
  ChannelType,
  (input: SendInput, env: Env) => OutboundRequest[] | Promise<OutboundRequest[]> | undefined
> = {
  webhook: webhookRequest,
  slack: slackRequest,
  dingtalk: dingtalkRequest,
  feishu: feishuRequest,
  wecom: (input, env) => (input.config.corpId ? wecomAppRequests(env, input) : wecomRequest(input)),
  discord: discordRequest,
  telegram: telegramRequest,
  email: (input) => (typeof input.config.smtpHost === 'string' ? undefined : mailApiRequest(input)),
};

/** Sends the messages of one notification in order; stops at the first the channel refuses. */
async function sendAll(env: Env, requests: OutboundRequest[]): Promise<Refusal | undefined> {
  for (const [i, request] of requests.entries()) {
    const refusal = await sendHttp(env, request);
    if (refusal)
      return requests.length > 1
        ? { ...refusal, error: `part ${i + 1}/${requests.length}: ${refusal.error}` }
        : refusal;
  }
  return undefined;
}

async function sendHttp(env: Env, request: OutboundRequest): Promise<Refusal | undefined> {
  assertUrlAllowed(env, request.url);
  // Never follow a redirect: its Location could be any host, and a 3xx is no delivery.
  const res = await fetch(request.url, {
    ...request.init,
    signal: AbortSignal.timeout(TIMEOUT_MS),
    redirect: 'manual',
  });
  const text = await res.text();
  // 4xx but 408/429: the request itself is wrong (credentials, robot, chat, payload).
  if (!res.ok)
    return {
      error: `HTTP ${res.status}: ${text.slice(0, 200)}`,
      permanent: permanentStatus(res.status),
    };
  if (!request.accepted) return undefined;
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: `answer is not JSON: ${text.slice(0, 200)}`, permanent: false };
  }
  return request.accepted(body);
}

/** Failures no retry can fix: a refused destination, a provider's permanent refusal, an SMTP 5xx. */
const permanentError = (err: unknown) =>
  err instanceof TargetRefused ||
  err instanceof PermanentFailure ||
  (err instanceof SmtpReplyError && err.permanent);

/** One attempt to deliver a notification to a channel (through `gate`, when given); never throws. */
export async function sendToChannel(
  env: Env,
  type: ChannelType,
  input: SendInput,
  gate?: SendGate,
): Promise<SendResult> {
  let started = Date.now();
  // Stored before a stricter rule, or allowed by a flag since turned off: judged again at every send.
  const refused = channelTargetProblem(env, type, input.config);
  if (refused)
    return {
      ok: false,
      latencyMs: 0,
      error: `config.${refused.field}: ${refused.problem}`,
      permanent: true,
    };
  try {
    const requests = await httpBuilders[type](input, env);
    const waitMs = gate ? await gate(requests?.length ?? 1) : undefined;
    if (waitMs !== undefined)
      return {
        ok: false,
        latencyMs: 0,
        error: `rate limited: next send in ${Math.ceil(waitMs / 1000)} s`,
        retryAfterMs: waitMs,
      };
    started = Date.now();
    const refusal = requests ? await sendAll(env, requests) : await sendEmail(env, input);
    const latencyMs = Date.now() - started;
    if (refusal === undefined) return { ok: true, latencyMs };
    return {
      ok: false,
      latencyMs,
      error: refusal.error,
      ...(refusal.permanent ? { permanent: true } : {}),
    };
  } catch (err) {
    return {
      ok: false,
      latencyMs: Date.now() - started,
      error: err instanceof Error ? err.message : String(err),
      ...(permanentError(err) ? { permanent: true } : {}),
    };
  }
}
