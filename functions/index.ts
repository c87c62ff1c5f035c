import { app } from './app';
import type { Env } from './env';

export default {
  fetch: app.fetch,
  async scheduled(_controller, _env, _ctx) {
    // Housekeeping (signing-key rotation, clean-up) is registered by its owners.
  },
} satisfies ExportedHandler<Env>;
