import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations(path.join(import.meta.dirname, 'db/migrations'));

export default defineConfig({
  test: {
    projects: [
      {
        // The worker, inside workerd, with real D1 / Durable Object / Queue bindings.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: migrations,
                ADMIN_PASSWORD: 'admin-password-for-tests',
                SECRETS_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
                // The identity tests' LDAP/OIDC servers listen on loopback.
                ALLOW_PRIVATE_IDP_HOSTS: 'true',
                // Production's default whatever .dev.vars says; notification tests opt in per call.
                ALLOW_PRIVATE_WEBHOOKS: 'false',
              },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          setupFiles: ['./test/workers/setup.ts'],
          // A real OpenLDAP server for the identity tests (workerd cannot start processes).
          globalSetup: [
            './test/workers/support/identity-global-setup.ts',
            // A loopback HTTP sink the notification channel contract tests deliver to.
            './test/workers/support/notify-sink-global-setup.ts',
            // Real SMTP servers with TLS (smtp-server); after identity: extends its SSL_CERT_FILE.
            './test/workers/support/smtp-global-setup.ts',
          ],
        },
      },
      {
        // The agent, the Kubernetes API emulator and end-to-end runs, in Node.
        test: {
          name: 'node',
          include: [
            'test/agents/**/*.test.ts',
            'test/e2e/**/*.test.ts',
            'test/scripts/**/*.test.ts',
          ],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
