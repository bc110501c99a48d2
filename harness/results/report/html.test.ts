import assert from 'node:assert/strict';
import { test } from 'node:test';
import { embedJson, escapeHtml, html, raw } from './html.ts';

test('interpolated strings are escaped, fragments and arrays are not double-escaped', () => {
  const name = `<img src=x onerror="alert('x')">&`;
  const out = html`<td>${name}</td>${[html`<b>${'a<b'}</b>`, 'c>d']}${raw('<i>ok</i>')}${null}${false}`;
  assert.equal(
    out.value,
    '<td>&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</td><b>a&lt;b</b>c&gt;d<i>ok</i>',
  );
  assert.equal(escapeHtml('"\''), '&quot;&#39;');
});

test('embedded JSON cannot close its script element and parses back to the same values', () => {
  const value = {
    scenario: '</script><script>alert(1)</script>',
    comment: '<!-- x -->',
    amp: 'a & b',
    separators: 'line\u2028para\u2029end',
    n: [1.5, null],
  };
  const text = embedJson(value).value;
  assert.ok(!text.includes('<'), text);
  assert.ok(!text.includes('>'), text);
  assert.ok(!text.includes('\u2028') && !text.includes('\u2029'));
  assert.ok(!/<\/script/i.test(text));
  assert.deepEqual(JSON.parse(text), value);
});
