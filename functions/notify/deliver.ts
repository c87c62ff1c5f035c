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
import { sendEmail } from './senders/smtp';
import type { OutboundRequest, SendInput } from './senders/types';
import { targetProblem } from './target-check';

const TIMEOUT_MS = 10_000;

export type SendResult =
  | { ok: true; latencyMs: number }
  | { ok: false; latencyMs: number; error: string; permanent?: boolean };

const httpBuilders: Record<
  Exclude<ChannelType, 'email'>,
  (input: SendInput) => OutboundRequest[] | Promise<OutboundRequest[]>
> = {
  webhook: webhookRequest,
  slack: slackRequest,
  dingtalk: dingtalkRequest,
  feishu: feishuRequest,
  wecom: wecomRequest,
  discord: discordRequest,
  telegram: telegramRequest,
};

/** Sends the messages of one notification in order; stops at the first the channel refuses. */
async function sendAll(env: Env, requests: OutboundRequest[]): Promise<string | undefined> {
  for (const [i, request] of requests.entries()) {
    const error = await sendHttp(env, request);
    if (error) return requests.length > 1 ? `part ${i + 1}/${requests.length}: ${error}` : error;
  }
  return undefined;
}

async function sendHttp(env: Env, request: OutboundRequest): Promise<string | undefined> {
  const problem = targetProblem(env, request.url);
  if (problem) return problem;
  const res = await fetch(request.url, {
    ...request.init,
    signal: AbortSignal.timeout(TIMEOUT_MS),
    redirect: 'manual',
  });
  const text = await res.text();
  if (!res.ok) return `HTTP ${res.status}: ${text.slice(0, 200)}`;
  if (!request.accepted) return undefined;
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    return `answer is not JSON: ${text.slice(0, 200)}`;
  }
  return request.accepted(body);
}

/** One attempt to deliver a notification to a channel; never throws. */
export async function sendToChannel(
  env: Env,
  type: ChannelType,
  input: SendInput,
): Promise<SendResult> {
  const started = Date.now();
  try {
    const error =
      type === 'email'
        ? await sendEmail(env, input)
        : await sendAll(env, await httpBuilders[type](input));
    const latencyMs = Date.now() - started;
    return error === undefined ? { ok: true, latencyMs } : { ok: false, latencyMs, error };
  } catch (err) {
    return {
      ok: false,
      latencyMs: Date.now() - started,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}
