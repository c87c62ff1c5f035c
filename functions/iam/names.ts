import { z } from '@hono/zod-openapi';
import { reservedNames } from './builtin-roles';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label: how every user, workspace, group, role and namespace is named. */
export const dnsLabel = z
  .string()
  .max(63, 'at most 63 characters')
  .regex(dns1123Label, 'lowercase letters, digits and "-", starting and ending alphanumeric');

/** A name for something new: a DNS-1123 label that is not reserved. */
export const newName = dnsLabel.refine((name) => !reservedNames.has(name), {
  message: 'this name is reserved',
});
