import { describe, expect, it } from 'vitest';
import { parseServiceResponse } from '../../functions/identity/cas/service-response';
import { parseXml, XmlError } from '../../functions/identity/cas/xml';

// Response shapes from the CAS protocol specification (Apereo, appendix A / §2.5, §2.6) and
// from Apereo CAS servers, which add authenticationDate and friends to the attributes.
const cas2Success = `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
    <cas:authenticationSuccess>
        <cas:user>username</cas:user>
        <cas:proxyGrantingTicket>PGTIOU-84678-8a9d2sfa23casd</cas:proxyGrantingTicket>
    </cas:authenticationSuccess>
</cas:serviceResponse>`;

const cas3Success = `<?xml version="1.0" encoding="UTF-8"?>
<cas:serviceResponse xmlns:cas='http://www.yale.edu/tp/cas'>
    <cas:authenticationSuccess>
        <cas:user>jdoe</cas:user>
        <cas:attributes>
            <cas:credentialType>UsernamePasswordCredential</cas:credentialType>
            <cas:isFromNewLogin>true</cas:isFromNewLogin>
            <cas:authenticationDate>2024-05-01T10:12:41.531Z[UTC]</cas:authenticationDate>
            <cas:longTermAuthenticationRequestTokenUsed>false</cas:longTermAuthenticationRequestTokenUsed>
            <cas:firstname>John</cas:firstname>
            <cas:displayName>John &quot;JD&quot; Doe &amp; Sons &#x263A;</cas:displayName>
            <cas:email>jdoe@example.org</cas:email>
            <!-- multi-valued: one element per value -->
            <cas:memberOf>cn=staff,ou=groups,dc=example,dc=org</cas:memberOf>
            <cas:memberOf><![CDATA[R&D <lab>]]></cas:memberOf>
        </cas:attributes>
        <cas:proxyGrantingTicket>PGTIOU-84678-8a9d2sfa23casd</cas:proxyGrantingTicket>
    </cas:authenticationSuccess>
</cas:serviceResponse>`;

const cas3NameValue = `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
  <cas:authenticationSuccess>
    <cas:user>jdoe</cas:user>
    <cas:attributes>
      <cas:attribute name="email" value="jdoe@example.org"/>
      <cas:attribute name="memberOf" value="staff"/>
      <cas:attribute name="memberOf" value="faculty"/>
    </cas:attributes>
  </cas:authenticationSuccess>
</cas:serviceResponse>`;

const failure = `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
    <cas:authenticationFailure code="INVALID_TICKET">
        Ticket ST-1856339-aA5Yuvrxzpv8Tau1cYQ7 not recognized
    </cas:authenticationFailure>
</cas:serviceResponse>`;

describe('CAS serviceResponse, parsed as XML', () => {
  it('reads CAS 2.0 and 3.0 successes with attributes, entities, CDATA and comments', () => {
    expect(parseServiceResponse(cas2Success)).toEqual({
      ok: true,
      user: 'username',
      attributes: {},
    });
    const result = parseServiceResponse(cas3Success);
    expect(result).toMatchObject({
      ok: true,
      user: 'jdoe',
      attributes: {
        firstname: ['John'],
        displayName: ['John "JD" Doe & Sons ☺'],
        email: ['jdoe@example.org'],
        memberOf: ['cn=staff,ou=groups,dc=example,dc=org', 'R&D <lab>'],
      },
    });
    expect(parseServiceResponse(cas3NameValue)).toEqual({
      ok: true,
      user: 'jdoe',
      attributes: { email: ['jdoe@example.org'], memberOf: ['staff', 'faculty'] },
    });
  });

  it('reads a failure code and message', () => {
    expect(parseServiceResponse(failure)).toEqual({
      ok: false,
      code: 'INVALID_TICKET',
      message: 'Ticket ST-1856339-aA5Yuvrxzpv8Tau1cYQ7 not recognized',
    });
  });

  it('goes by namespace, not by prefix or look-alike text', () => {
    // Any prefix, or a default namespace, is the same document.
    const other = cas3NameValue.replaceAll('cas:', 'x:').replace('xmlns:cas=', 'xmlns:x=');
    expect(parseServiceResponse(other)).toMatchObject({ ok: true, user: 'jdoe' });
    const defaultNs =
      '<serviceResponse xmlns="http://www.yale.edu/tp/cas"><authenticationSuccess><user>d</user></authenticationSuccess></serviceResponse>';
    expect(parseServiceResponse(defaultNs)).toMatchObject({ ok: true, user: 'd' });
    // A "user" in a foreign namespace is not CAS's user.
    const foreign =
      '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas" xmlns:evil="urn:x"><cas:authenticationSuccess><evil:user>admin</evil:user></cas:authenticationSuccess></cas:serviceResponse>';
    expect(parseServiceResponse(foreign)).toMatchObject({ ok: false, code: 'MALFORMED' });
    // A success inside a comment or an attribute is text, not an element (regex scraping fell for these).
    const commented = `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><!-- <cas:authenticationSuccess><cas:user>admin</cas:user></cas:authenticationSuccess> --><cas:authenticationSuccess><cas:user>jdoe</cas:user></cas:authenticationSuccess></cas:serviceResponse>`;
    expect(parseServiceResponse(commented)).toMatchObject({ ok: true, user: 'jdoe' });
    const cdata = `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationFailure code="X"><![CDATA[<cas:authenticationSuccess><cas:user>admin</cas:user></cas:authenticationSuccess>]]></cas:authenticationFailure></cas:serviceResponse>`;
    expect(parseServiceResponse(cdata)).toMatchObject({ ok: false, code: 'X' });
    // Undeclared prefixes, wrong roots and broken documents are malformed.
    for (const bad of [
      '<cas:serviceResponse/>',
      '<serviceResponse><authenticationSuccess><user>x</user></authenticationSuccess></serviceResponse>',
      cas2Success.replace('</cas:user>', '</cas:usr>'),
      cas2Success.slice(0, -5),
      `${cas2Success}<second/>`,
      'not xml at all',
    ])
      expect(parseServiceResponse(bad), bad).toMatchObject({ ok: false, code: 'MALFORMED' });
  });

  it('refuses DTDs and entity declarations: nothing is expanded or fetched', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user>&xxe;</cas:user></cas:authenticationSuccess></cas:serviceResponse>`;
    expect(parseServiceResponse(xxe)).toMatchObject({
      ok: false,
      code: 'MALFORMED',
      message: expect.stringMatching(/DTD/),
    });
    const laughs = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><r>&lol2;</r>`;
    expect(() => parseXml(laughs)).toThrow(XmlError);
    // An entity that was never declared is an error, not passed through.
    expect(() => parseXml('<r>&nbsp;</r>')).toThrow(/undeclared entity/);
    expect(() => parseXml('<r>&#0;</r>')).toThrow(/character reference/);
    // Depth is bounded.
    expect(() => parseXml(`${'<a>'.repeat(100)}${'</a>'.repeat(100)}`)).toThrow(/too deep/);
  });
});
