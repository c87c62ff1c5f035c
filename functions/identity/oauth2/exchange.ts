import { providerFailure } from '../errors';

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Calls a provider endpoint and reads JSON; failures name the provider and the step. */
export async function providerJson(
  provider: string,
  step: string,
  url: string,
  init: RequestInit,
): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'manual' });
  } catch (error) {
    throw providerFailure(provider, `${step} is unreachable (${describe(error)})`);
  }
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!res.ok || !body || typeof body !== 'object') {
    // The provider's own error code and description carry no secrets of ours.
    const detail = body
      ? [body.error, body.error_description].filter((v) => typeof v === 'string').join(': ')
      : 'not JSON';
    throw providerFailure(
      provider,
      `${step} failed (HTTP ${res.status}${detail ? `, ${detail}` : ''})`,
    );
  }
  if (typeof body.error === 'string')
    throw providerFailure(
      provider,
      `${step} failed (${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''})`,
    );
  return body;
}
