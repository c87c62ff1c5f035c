import { defineConfig } from 'drizzle-kit';

// Migrations are only ever generated from db/schema: `npm run db:generate`.
export default defineConfig({
  dialect: 'sqlite',
  driver: 'd1-http',
  schema: './db/schema/index.ts',
  out: './db/migrations',
  casing: 'snake_case',
});
