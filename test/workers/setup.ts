import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// Each test file gets isolated storage; migrations are applied before its tests.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
