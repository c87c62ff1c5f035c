/**
 * What a channel's answer means: delivered, or refused for now (retry with
 * backoff), or refused for good (bad credentials, an unknown robot or chat,
 * a payload the provider will never take: ten retries would only repeat it).
 * Codes not listed count as transient, as every failure did before.
 */

/** A send the channel did not take. */
export interface Refusal {
  error: string;
  /** Retrying cannot help: the consumer stops after this attempt. */
  permanent: boolean;
}

/** A failure known before or outside an HTTP answer (a gettoken refusal) that retrying cannot fix. */
export class PermanentFailure extends Error {
  override readonly name = 'PermanentFailure';
}

/** HTTP statuses a retry can change: timeouts and rate limits; every other 4xx is the request's fault. */
export const permanentStatus = (status: number) =>
  status >= 400 && status < 500 && status !== 408 && status !== 429;

type CodeTable = ReadonlyMap<number, string>;

/**
 * DingTalk custom robots (oapi.dingtalk.com/robot/send). Transient:
 * -1 busy, 130101 over 20 messages a minute, 410100 throttled.
 */
const dingtalkPermanent: CodeTable = new Map([
  [300001, 'the access_token is invalid'],
  [300004, 'the access_token is missing'],
  [300005, 'the access_token does not exist'],
  [310000, "the robot's security settings refused it: signature, keywords or IP allow-list"],
  [400013, 'the group was dissolved'],
  [400101, 'the access_token does not exist'],
  [400102, 'the robot is disabled'],
  [400105, 'the message type is not supported'],
  [400106, 'the robot does not exist'],
  [430101, 'the message holds a link DingTalk considers unsafe'],
  [430102, 'the message holds text DingTalk refuses'],
  [430103, 'the message holds an image DingTalk refuses'],
  [430104, 'the message holds content DingTalk refuses'],
  [40035, 'a required parameter is missing'],
  [43004, 'the Content-Type is refused'],
]);

/**
 * WeCom group bots (webhook/send) and apps (gettoken, message/send).
 * Transient: -1 busy, 45009 over the call rate, 45033 too many at once; and
 * for apps 40001/40014/42001 (a stale access token: dropped, the retry
 * fetches a new one).
 */
const wecomPermanent: CodeTable = new Map([
  [93000, 'the webhook URL is invalid or the bot was removed from the group'],
  [93004, 'the bot is disabled'],
  [93008, 'the bot is not in the group'],
  [40008, 'the message type is invalid'],
  [40058, 'a parameter is invalid'],
  [44004, 'the message is empty'],
  [40013, 'the corpId is invalid'],
  [40056, 'the agentId is invalid'],
  [40091, 'the secret is invalid'],
  [41002, 'the corpId is missing'],
  [41004, 'the secret is missing'],
  [48002, 'the app may not call this API'],
  [60020, "the edge's IP is not on the app's trusted IP list"],
  [81013, 'every recipient (user, party, tag) is invalid or out of the app’s reach'],
  [301002, 'the app may not send as this agent'],
]);
/** WeCom codes that mean the app's cached access token is no good any more. */
export const wecomStaleToken = new Set([40001, 40014, 42001]);

/** Feishu / Lark custom bots (bot/v2/hook). Transient: 11232 sent too fast. */
const feishuPermanent: CodeTable = new Map([
  [9499, 'bad request: the payload is malformed'],
  [19001, 'the webhook token is invalid'],
  [19002, 'the payload lacks msg_type or content'],
  [19021, 'the signature does not match (secret, or a timestamp over an hour off)'],
  [19022, "the edge's IP is not on the bot's allow-list"],
  [19024, 'the message lacks the keywords the bot requires'],
]);

/** Slack Web API `error` values retrying cannot fix (ratelimited, internal_error, … are transient). */
const slackPermanent = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'access_denied',
  'org_login_required',
  'team_access_not_granted',
  'ekm_access_denied',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'restricted_action',
  'msg_too_long',
  'no_text',
  'invalid_blocks',
  'invalid_blocks_format',
  'invalid_arguments',
  'invalid_form_data',
  'invalid_charset',
  'too_many_attachments',
]);

type Answer = Record<string, unknown>;
const asAnswer = (body: unknown): Answer | undefined =>
  body && typeof body === 'object' ? (body as Answer) : undefined;

function coded(
  provider: string,
  label: string,
  code: unknown,
  message: unknown,
  table: CodeTable,
): Refusal {
  const why = typeof code === 'number' ? table.get(code) : undefined;
  return {
    error: `${provider} ${label} ${String(code)}: ${String(message ?? '')}${why ? ` (${why})` : ''}`,
    permanent: why !== undefined,
  };
}

/** `{errcode, errmsg}` answers of DingTalk robots. */
export function dingtalkAnswer(body: unknown): Refusal | undefined {
  const b = asAnswer(body);
  if (!b || b.errcode === undefined || b.errcode === 0) return undefined;
  return coded('DingTalk', 'errcode', b.errcode, b.errmsg, dingtalkPermanent);
}

/** `{errcode, errmsg}` answers of WeCom; a stale app token is always transient. */
export function wecomAnswer(body: unknown): Refusal | undefined {
  const b = asAnswer(body);
  if (!b || b.errcode === undefined || b.errcode === 0) return undefined;
  return coded('WeCom', 'errcode', b.errcode, b.errmsg, wecomPermanent);
}

/** Is a gettoken refusal permanent (a bad corpId/secret, an untrusted IP)? */
export const wecomPermanentCode = (code: unknown) =>
  typeof code === 'number' && wecomPermanent.has(code);

/** `{code, msg}` (or the older `{StatusCode, StatusMessage}`) answers of Feishu bots. */
export function feishuAnswer(body: unknown): Refusal | undefined {
  const b = asAnswer(body);
  const code = b?.code ?? b?.StatusCode ?? 0;
  if (code === 0) return undefined;
  return coded('Feishu', 'code', code, b?.msg ?? b?.StatusMessage, feishuPermanent);
}

/** `{ok, error}` answers of Slack's Web API. */
export function slackAnswer(body: unknown): Refusal | undefined {
  const b = asAnswer(body);
  if (b?.ok === true) return undefined;
  const error = typeof b?.error === 'string' ? b.error : 'no ok in the answer';
  return { error: `Slack: not ok: ${error}`, permanent: slackPermanent.has(error) };
}

/** `{ok, error_code, description}` answers of Telegram (its HTTP status says the same). */
export function telegramAnswer(body: unknown): Refusal | undefined {
  const b = asAnswer(body);
  if (b?.ok === true) return undefined;
  const code = typeof b?.error_code === 'number' ? b.error_code : 0;
  const description = String(b?.description ?? 'no ok in the answer');
  return {
    error: `Telegram: not ok: ${code ? `${code} ` : ''}${description}`,
    permanent: permanentStatus(code),
  };
}

/** `{ErrorCode, Message}` answers of Postmark: 0 is sent; 10 bad token, 300 invalid request, 406 inactive recipient… */
export function postmarkAnswer(body: unknown): Refusal | undefined {
  const b = asAnswer(body);
  const code = b?.ErrorCode ?? 0;
  if (code === 0) return undefined;
  return {
    error: `Postmark ErrorCode ${String(code)}: ${String(b?.Message ?? '')}`,
    permanent: true,
  };
}
