/** Block Kit limits: header text 150 characters, section text 3000, 50 blocks a message. */
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const MAX_SECTIONS = 48;

const cut = (text: string, max: number) => {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
};

/** Slack's mrkdwn wants &, < and > escaped. */
const escapeMrkdwn = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * One message part (its first line the title, then one line per alert) as
 * Block Kit: a header and sections of whole lines; `text` is what
 * notifications and clients without blocks show.
 */
export function slackBlocks(part: string): { text: string; blocks: unknown[] } {
  const [title = '', ...lines] = part.split('\n');
  const sections: string[] = [];
  let current = '';
  for (const line of lines.map((l) => cut(escapeMrkdwn(l), SECTION_MAX))) {
    if (current && [...current].length + 1 + [...line].length > SECTION_MAX) {
      sections.push(current);
      current = line;
    } else current = current ? `${current}\n${line}` : line;
  }
  if (current) sections.push(current);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(title, HEADER_MAX) } },
    ...sections
      .slice(0, MAX_SECTIONS)
      .map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } })),
  ];
  return { text: title, blocks };
}
