import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`.ci/install-peers` installs it); playwright-core never downloads one. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** Where screenshots go (gitignored); CI keeps the directory as an artifact. */
export const artifactsDir = path.resolve(import.meta.dirname, '../../test-artifacts');

/** Headless Chromium; `--no-sandbox` because test containers run as root. */
export async function launchChromium(): Promise<Browser> {
  await mkdir(artifactsDir, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

export const artifact = (name: string) => path.join(artifactsDir, name);
