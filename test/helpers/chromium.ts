import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describeWhen } from './suite-requirements.js';

/** Debian's Chromium (`.ci/run` installs it); without one, as on a fresh machine, browser suites are skipped. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const withBrowser = describeWhen(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);

// The closed network refuses Chromium's own background connections; these flags keep it from trying.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
