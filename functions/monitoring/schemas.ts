import { z } from '@hono/zod-openapi';
import { dnsLabel } from '../iam/names';

/** How a panel's values read; the chart's axis formats them. */
export const panelUnits = ['percent', 'bytes', 'bytes/s', 'cores', 'ops', 'seconds'] as const;
export type PanelUnit = (typeof panelUnits)[number];

/** Lookbacks a panel may show, in seconds. */
export const panelRanges = {
  '15m': 900,
  '1h': 3600,
  '6h': 6 * 3600,
  '24h': 86_400,
  '7d': 7 * 86_400,
} as const;
export type PanelRange = keyof typeof panelRanges;
export const DEFAULT_RANGE: PanelRange = '1h';
const rangeKeys = Object.keys(panelRanges) as [PanelRange, ...PanelRange[]];

export const MAX_PANELS = 30;
export const MAX_QUERY_LENGTH = 4096;

export const panelId = z
  .string()
  .regex(/^[a-z0-9]{1,16}$/, 'lowercase letters and digits, at most 16')
  .openapi({ description: 'Kept when sent back unchanged; new panels get one.' });

export const panelInput = z.strictObject({
  id: panelId.optional(),
  title: z.string().trim().min(1).max(120),
  query: z.string().min(1).max(MAX_QUERY_LENGTH),
  unit: z.enum(panelUnits).optional(),
  range: z.enum(rangeKeys).optional(),
});
export type PanelInput = z.infer<typeof panelInput>;

const dashboardFields = {
  title: z.string().trim().min(1).max(120),
  position: z.number().int().min(0).max(10_000).optional(),
  panels: z.array(panelInput).max(MAX_PANELS, `at most ${MAX_PANELS} panels`),
};

export const dashboardCreate = z
  .strictObject({ name: dnsLabel, ...dashboardFields })
  .openapi('MonitoringDashboardInput');
/** The name is the URL's; a body may repeat it, never change it. */
export const dashboardReplace = z
  .strictObject({ name: dnsLabel.optional(), ...dashboardFields })
  .openapi('MonitoringDashboardReplace');

export const panelView = z
  .object({
    id: z.string(),
    title: z.string(),
    query: z.string(),
    unit: z.enum(panelUnits).nullable(),
    range: z.enum(rangeKeys),
  })
  .openapi('MonitoringPanel');

export const dashboardView = z
  .object({
    name: z.string(),
    title: z.string(),
    position: z.number(),
    cluster: z.string(),
    workspace: z.string().nullable(),
    namespace: z.string().nullable(),
    panels: z.array(panelView),
    mayEdit: z.boolean().openapi({ description: 'Whether the caller may change or delete it.' }),
    updatedBy: z.string().nullable(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('MonitoringDashboard');

export const seriesView = z.object({
  labels: z.record(z.string(), z.string()),
  /** [unix seconds, value]; NaN and infinities are left out. */
  points: z.array(z.tuple([z.number(), z.number()])),
});

export const panelData = z
  .object({
    panel: panelView,
    start: z.number(),
    end: z.number(),
    step: z.number(),
    series: z.array(seriesView),
    /** Series beyond the ones returned (the chart draws a few). */
    omitted: z.number(),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .openapi({ description: 'Why this panel has no data (the others may).' }),
  })
  .openapi('MonitoringPanelData');
export type PanelData = z.infer<typeof panelData>;

export const dashboardParams = z.object({ c: dnsLabel, name: dnsLabel });
export const namespaceParams = z.object({ ws: dnsLabel, ns: dnsLabel });
export const namespaceDashboardParams = namespaceParams.extend({ name: dnsLabel });
export const clusterQuery = z.object({ cluster: dnsLabel.optional() });
export const dataQuery = z.object({
  range: z.enum(rangeKeys).optional(),
  cluster: dnsLabel.optional(),
});
