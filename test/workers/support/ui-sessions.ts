import { expect } from 'vitest';
import { type Persona, passwordOf } from './fixture';
import { Browser } from './ui-browser';

/** The seeded admin's password (the pool's ADMIN_PASSWORD binding). */
const ADMIN_PASSWORD = 'admin-password-for-tests';

/**
 * A test file's signed-in browsers: `as(persona)` signs the persona in
 * through the sign-in form on first use and reuses that session after.
 */
export function browserSessions(): (persona: Persona) => Promise<Browser> {
  const browsers = new Map<Persona, Browser>();
  return async (persona) => {
    let browser = browsers.get(persona);
    if (!browser) {
      browser = new Browser();
      const password = persona === 'admin' ? ADMIN_PASSWORD : passwordOf(persona);
      expect((await browser.signIn(persona, password)).status).toBe(303);
      browsers.set(persona, browser);
    }
    return browser;
  };
}
