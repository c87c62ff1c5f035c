import { liveScript } from './live-script';
import { stylesheet } from './styles';

/** FNV-1a (32 bit): enough to give each asset version its own URL, computed once per isolate. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export interface Asset {
  path: string;
  type: string;
  body: string;
}

/** Static assets under content-hashed paths, so they can be cached forever (immutable). */
export const assets = {
  css: {
    path: `/ui/assets/app.${fingerprint(stylesheet)}.css`,
    type: 'text/css; charset=utf-8',
    body: stylesheet,
  },
  js: {
    path: `/ui/assets/live.${fingerprint(liveScript)}.js`,
    type: 'text/javascript; charset=utf-8',
    body: liveScript,
  },
} satisfies Record<string, Asset>;
