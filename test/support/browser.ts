import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { requirePeer } from './peers';

/** Debian's Chromium (`npm test` installs it, scripts/peers.ts); playwright-core never downloads one. */
const chromiumPath = () => process.env.CHROMIUM_PATH ?? requirePeer('chromium');

/** Where screenshots go (gitignored); CI keeps the directory as an artifact. */
export const artifactsDir = path.resolve(import.meta.dirname, '../../test-artifacts');

/** Headless Chromium; `--no-sandbox` because test containers run as root. */
export async function launchChromium(): Promise<Browser> {
  await mkdir(artifactsDir, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

export const artifact = (name: string) => path.join(artifactsDir, name);
