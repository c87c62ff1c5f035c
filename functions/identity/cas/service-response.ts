import { childrenNamed, parseXml, type XmlElement, XmlError } from './xml';

/**
 * Reads a CAS 2/3 `serviceValidate` / `p3/serviceValidate` answer (CAS
 * protocol spec §2.5/§2.6 and appendix A): XML in the CAS namespace, with
 * whatever prefix the server picks.
 */

export type CasResult =
  | { ok: true; user: string; attributes: Record<string, string[]> }
  | { ok: false; code: string; message: string };

export const CAS_NAMESPACE = 'http://www.yale.edu/tp/cas';

const malformed = (message: string): CasResult => ({ ok: false, code: 'MALFORMED', message });
const cas = (element: XmlElement, name: string) => childrenNamed(element, CAS_NAMESPACE, name);

/**
 * CAS 3 attributes are child elements of `<cas:attributes>` (one element per
 * value, repeated for multi-valued ones); some servers write
 * `<cas:attribute name="..." value="..."/>` instead. Both are read.
 */
function readAttributes(block: XmlElement | undefined): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  const add = (name: string, value: string) => {
    if (!Object.hasOwn(attributes, name)) attributes[name] = [];
    attributes[name]?.push(value);
  };
  for (const child of block?.children ?? []) {
    if (child.localName === 'attribute' && child.attributes.name !== undefined)
      add(child.attributes.name, child.attributes.value ?? child.text.trim());
    else add(child.localName, child.text.trim());
  }
  return attributes;
}

export function parseServiceResponse(xml: string): CasResult {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    return malformed(error instanceof XmlError ? error.message : 'not XML');
  }
  if (root.namespace !== CAS_NAMESPACE || root.localName !== 'serviceResponse')
    return malformed('the root element is not a CAS serviceResponse');
  const [failure] = cas(root, 'authenticationFailure');
  if (failure)
    return {
      ok: false,
      code: failure.attributes.code?.trim() || 'UNKNOWN',
      message: failure.text.trim(),
    };
  const [success] = cas(root, 'authenticationSuccess');
  const user = success && cas(success, 'user')[0]?.text.trim();
  if (!success || !user) return malformed('no authenticationSuccess/user');
  return { ok: true, user, attributes: readAttributes(cas(success, 'attributes')[0]) };
}
