// URL entries of allowed_commands and the match: scheme, host, port and a path prefix by whole
// segments, on the URL as WHATWG parses it; what a parser or a server could read otherwise
// (a tab, a backslash, user info, an encoded /) is a problem named, not a guess.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchUrl, parseUrlRule, urlProblem } from '../../runner/url-rule.js';

const rules = [parseUrlRule('http://127.0.0.1:8080/allowed'), parseUrlRule('https://api.example.com/v1/'), parseUrlRule('http://localhost:*')];
const allowed = (u: string) => matchUrl(new URL(u), rules)?.text ?? null;

describe('parseUrlRule', () => {
  it('reads scheme, host, port (default filled in) and path', () => {
    assert.deepEqual(parseUrlRule('HTTP://Example.COM/a/b'), { text: 'HTTP://Example.COM/a/b', protocol: 'http:', hostname: 'example.com', port: '80', path: '/a/b' });
    assert.equal(parseUrlRule('https://h').port, '443');
    assert.equal(parseUrlRule('https://h').path, '/');
  });
  it('reads `host:*` and the old prefix `host:` as any port', () => {
    assert.equal(parseUrlRule('http://127.0.0.1:*/x').port, '*');
    assert.equal(parseUrlRule('http://127.0.0.1:').port, '*');
    assert.equal(parseUrlRule('http://[::1]:').hostname, '[::1]');
    assert.equal(parseUrlRule('http://[::1]:').port, '*');
    assert.equal(parseUrlRule('http://[::1]:81/').port, '81');
  });
  it('normalises the path as fetch will', () => assert.equal(parseUrlRule('http://h/a/./b/../c').path, '/a/c'));
  const bad: [string, RegExp][] = [
    ['ftp://h/', /http or https/],
    ['http://u:p@h/', /no user info/],
    ['http://h/a?x=1', /no query/],
    ['http://h/a#x', /no query \(\?…\) or fragment/],
    ['http://h/a\tb', /a tab/],
    ['http://h\\a', /a backslash/],
    ['http://h/a%2fb', /an encoded \/ \(%2F\)/],
    ['http://', /expected an http or https URL/],
  ];
  for (const [text, re] of bad) it(`refuses ${JSON.stringify(text)}`, () => assert.throws(() => parseUrlRule(text), re));
});

describe('matchUrl', () => {
  const cases: [string, string | null][] = [
    ['http://127.0.0.1:8080/allowed', 'http://127.0.0.1:8080/allowed'],
    ['http://127.0.0.1:8080/allowed/x?q=1', 'http://127.0.0.1:8080/allowed'],
    ['http://127.0.0.1:8080/allowedX', null],
    ['http://127.0.0.1:8080/allowed/../secret', null],
    ['http://127.0.0.1:8080/allowed/%2e%2e/secret', null],
    ['http://127.0.0.1:8080/allowed/.%2E/secret', null],
    ['http://127.0.0.1:8080/allowed/x/../y', 'http://127.0.0.1:8080/allowed'],
    ['http://127.0.0.1:8081/allowed', null],
    ['https://127.0.0.1:8080/allowed', null],
    ['http://0x7f.0.0.1:8080/allowed', 'http://127.0.0.1:8080/allowed'],
    ['http://127.0.0.1.:8080/allowed', 'http://127.0.0.1:8080/allowed'],
    ['https://api.example.com/v1/users', 'https://api.example.com/v1/'],
    ['https://api.example.com:443/v1/users', 'https://api.example.com/v1/'],
    ['https://api.example.com/v1', null],
    ['https://API.example.com./v1/x', null],
    ['https://api.example.com.evil.net/v1/x', null],
    ['http://localhost:1/any', 'http://localhost:*'],
    ['http://localhost/any', 'http://localhost:*'],
  ];
  for (const [u, want] of cases) it(`${u} → ${want ?? 'refused'}`, () => assert.equal(allowed(u), want));
});

describe('urlProblem', () => {
  const check = (raw: string) => urlProblem(raw, new URL(raw));
  it('user info: the host is not the one it seems', () => assert.equal(check('http://127.0.0.1:8080@evil.example/allowed'), 'user info before "@", so its host is evil.example'));
  it('a tab, a line break, a backslash', () => {
    assert.match(check('http://127.0.0.1:8080/allo\twed')!, /^a tab, which URL parsing drops$/);
    assert.match(check('http://127.0.0.1:8080/allowed\n')!, /a line break/);
    assert.match(check('http://127.0.0.1:8080/allowed\\..\\secret')!, /^a backslash, which URL parsing reads as \/$/);
  });
  it('what a server may decode into another path', () => {
    assert.match(check('http://h/allowed/..%2fsecret')!, /an encoded \/ \(%2F\) in its path/);
    assert.match(check('http://h/allowed/..%5csecret')!, /an encoded \\ \(%5C\)/);
    assert.match(check('http://h/allowed/%252e%252e/secret')!, /an encoded % \(%25\)/);
    assert.match(check('http://h/allowed/..;/secret')!, /a "\.\.;" segment in its path$/);
  });
  it('none for a plain URL', () => assert.equal(check('http://h/a/b?x=%2f'), null));
});
