import { z } from '@hono/zod-openapi';
import { privateDestinationProblem } from '../../net/private-address';
import { providerFailure } from '../errors';
import { LdapConnection, LdapError, type LdapTransport, ResultCode } from '../ldap/client';
import {
  encodeFilter,
  escapeFilterValue,
  FilterSyntaxError,
  parenthesised,
  userSearchFilter,
} from '../ldap/filter';
import type { IdentityProviderPlugin, ResolvedProvider } from '../types';

const filterString = z
  .string()
  .min(3)
  .max(1024)
  .refine(
    (f) => {
      try {
        encodeFilter(f.replaceAll('{username}', 'x'));
        return true;
      } catch (error) {
        if (error instanceof FilterSyntaxError) return false;
        throw error;
      }
    },
    { message: 'not a valid RFC 4515 filter' },
  );

/** An attribute description (RFC 4512 §2.5): a name or OID, options after `;`; it is placed in filters. */
const attributeName = z
  .string()
  .max(64)
  .regex(/^(?:[A-Za-z][\w-]*|\d+(?:\.\d+)+)(?:;[\w-]+)*$/, 'an LDAP attribute name');

export const ldapConfigSchema = z.strictObject({
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[\w.:[\]-]+$/, 'a host name or IP address'),
  port: z.number().int().min(1).max(65535).optional(),
  managerDN: z.string().min(1).max(1024),
  managerPassword: z.string().min(1).max(1024),
  userSearchBase: z.string().min(1).max(1024),
  /**
   * With `{username}`: the whole filter, the escaped name in its place. Without
   * (KubeSphere's form, e.g. `(objectClass=inetOrgPerson)`): AND-ed with
   * `(<loginAttribute>=<escaped name>)`.
   */
  userSearchFilter: filterString.optional(),
  loginAttribute: attributeName.optional(),
  mailAttribute: attributeName.optional(),
  displayNameAttribute: attributeName.optional(),
  groupSearchBase: z.string().min(1).max(1024).optional(),
  groupSearchFilter: filterString.optional(),
  /** `member`/`uniqueMember` hold DNs; `memberUid` holds login names. */
  groupMemberAttribute: attributeName.optional(),
  groupNameAttribute: attributeName.optional(),
  startTLS: z.boolean().optional(),
  /** LDAPS (TLS from the first byte, port 636 by default). */
  ldaps: z.boolean().optional(),
  /**
   * PEM of the only CA to trust for StartTLS/LDAPS (KubeSphere's rootCAData,
   * decoded). Without it the runtime's trust store applies; see docs/identity.md.
   */
  rootCA: z
    .string()
    .max(16_384)
    .regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, 'a PEM certificate')
    .optional(),
  timeoutSeconds: z.number().int().min(1).max(30).optional(),
});
export type LdapConfig = z.infer<typeof ldapConfigSchema>;

const transportOf = (config: LdapConfig): LdapTransport =>
  config.ldaps ? 'ldaps' : config.startTLS ? 'starttls' : 'plain';

const first = (values: string[] | undefined) => values?.[0];

function describeFailure(error: LdapError): string {
  return `LDAP ${error.stage} failed: ${error.message}`;
}

async function login(
  provider: ResolvedProvider<LdapConfig>,
  username: string,
  password: string,
  allowPrivateHosts: boolean,
) {
  const config = provider.config;
  // An empty password is an "unauthenticated bind" that servers accept (RFC 4513 §5.1.2).
  if (!password || !username) return { ok: false, reason: 'invalid_credentials' } as const;
  const blocked = privateDestinationProblem(config.host, allowPrivateHosts);
  if (blocked) throw providerFailure(provider.name, blocked);
  const transport = transportOf(config);
  const loginAttribute = config.loginAttribute ?? 'uid';
  const mailAttribute = config.mailAttribute ?? 'mail';
  const displayNameAttribute = config.displayNameAttribute ?? 'cn';
  let connection: LdapConnection | undefined;
  try {
    connection = await LdapConnection.open({
      host: config.host,
      port: config.port ?? (transport === 'ldaps' ? 636 : 389),
      transport,
      timeoutMs: (config.timeoutSeconds ?? 5) * 1000,
      // Only TLS uses it; a plain connection has no certificate to check.
      rootCa: transport === 'plain' ? undefined : config.rootCA,
    });
    const manager = await connection.bind(config.managerDN, config.managerPassword);
    if (manager.code !== ResultCode.success)
      throw providerFailure(
        provider.name,
        `the manager DN could not bind (LDAP result ${manager.code})`,
      );
    const filter = userSearchFilter(config.userSearchFilter, loginAttribute, username);
    const entries = await connection.search(
      config.userSearchBase,
      filter,
      [loginAttribute, mailAttribute, displayNameAttribute, 'entryUUID'],
      2,
    );
    if (entries.length === 0) return { ok: false, reason: 'invalid_credentials' } as const;
    if (entries.length > 1)
      throw providerFailure(provider.name, 'the user search filter matched more than one entry');
    const entry = entries[0]!;
    const attrs = entry.attributes;
    const login = first(attrs[loginAttribute.toLowerCase()]) ?? username;
    // Groups are read with the manager's rights, before the user's bind replaces them.
    let groups: string[] = [];
    if (config.groupSearchBase) {
      const memberAttribute = config.groupMemberAttribute ?? 'member';
      const nameAttribute = config.groupNameAttribute ?? 'cn';
      const member = memberAttribute.toLowerCase() === 'memberuid' ? login : entry.dn;
      const memberFilter = `(${memberAttribute}=${escapeFilterValue(member)})`;
      const groupFilter = config.groupSearchFilter
        ? `(&${parenthesised(config.groupSearchFilter)}${memberFilter})`
        : memberFilter;
      const found = await connection.search(config.groupSearchBase, groupFilter, [nameAttribute]);
      groups = found.flatMap((g) => first(g.attributes[nameAttribute.toLowerCase()]) ?? []);
    }
    const user = await connection.bind(entry.dn, password);
    if (user.code === ResultCode.invalidCredentials)
      return { ok: false, reason: 'invalid_credentials' } as const;
    if (user.code !== ResultCode.success)
      throw providerFailure(provider.name, `the user bind failed (LDAP result ${user.code})`);
    return {
      ok: true,
      identity: {
        externalId: first(attrs.entryuuid) ?? entry.dn.toLowerCase(),
        username: login,
        email: first(attrs[mailAttribute.toLowerCase()]),
        displayName: first(attrs[displayNameAttribute.toLowerCase()]),
        groups,
      },
    } as const;
  } catch (error) {
    if (error instanceof LdapError)
      throw providerFailure(provider.name, describeFailure(error), error);
    throw error;
  } finally {
    await connection?.close();
  }
}

/** LDAP / Active Directory: manager bind, user search, user bind, group search. */
export const ldapPlugin: IdentityProviderPlugin<LdapConfig> = {
  type: 'ldap',
  configSchema: ldapConfigSchema,
  secretFields: ['managerPassword'],
  hosts: (config) => [config.host],
  passwordLogin: (provider, username, password, context) =>
    login(provider, username, password, context.allowPrivateHosts),
};
