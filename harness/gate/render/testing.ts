/**
 * The tests' helpers for the gate's renderings: a check that JUnit output is well-formed XML.
 */
import assert from 'node:assert/strict';

/**
 * Minimal XML well-formedness check: the whole text tokenises into a declaration, properly nested
 * elements with quoted attributes, and text; no raw "<" or stray "&" anywhere.
 */
export function assertWellFormedXml(xml: string): void {
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const body = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '');
  assert.notEqual(body, xml, 'XML declaration first');
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const stack: string[] = [];
  let roots = 0;
  let index = 0;
  while (index < body.length) {
    token.lastIndex = index;
    const match = token.exec(body);
    assert.ok(match, `not well-formed at: ${body.slice(index, index + 60)}`);
    index = token.lastIndex;
    const [, closing, name, attributes, selfClosing, text] = match;
    if (text !== undefined) {
      assert.doesNotMatch(text, entity, `stray & in text: ${text}`);
      if (!stack.length) assert.match(text, /^\s*$/, 'text outside the root');
      continue;
    }
    assert.doesNotMatch(attributes ?? '', entity, `stray & in attributes of <${name}>`);
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (!selfClosing) {
      if (!stack.length) roots++;
      stack.push(name ?? '');
    } else if (!stack.length) roots++;
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'exactly one root element');
}
