import fc from 'fast-check';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { PAGE_LINKS_MAX, pageWindow, previousOffset, sliceOf, toPage } from './paginated.js';

const LIMITS = { default: 20, max: 100 };
const request = (url: string, host = 'api.test:3000', protocol = 'http') =>
  ({ url, protocol, host, headers: { host } }) as unknown as FastifyRequest;

describe('toPage', () => {
  it('builds absolute links that keep other query parameters', () => {
    const page = toPage(request('/api/plugins/?search=x&limit=10&offset=10'), { limit: 10, offset: 10 }, 35, []);
    expect(page.next).toBe('http://api.test:3000/api/plugins/?search=x&limit=10&offset=20');
    expect(page.previous).toBe('http://api.test:3000/api/plugins/?search=x&limit=10');
  });

  it('walking next links visits every item exactly once, for any count and limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 60 }), (count, limit) => {
        const items = Array.from({ length: count }, (_, i) => i);
        const seen: number[] = [];
        let url: string | null = `/api/x/?limit=${limit}`;
        let pages = 0;
        while (url) {
          const u: URL = new URL(url, 'http://api.test:3000');
          const window = pageWindow(Object.fromEntries(u.searchParams), LIMITS);
          const slice = sliceOf(items, window);
          const page: { results: number[]; next: string | null; previous: string | null } = toPage(
            request(u.pathname + u.search),
            window,
            slice.count,
            slice.items,
          );
          if (pages === 0) expect(page.previous).toBeNull();
          else expect(page.previous).not.toBeNull();
          seen.push(...page.results);
          url = page.next;
          pages++;
        }
        expect(seen).toEqual(items);
        expect(pages).toBe(Math.max(1, Math.ceil(count / limit)));
      }),
    );
  });
});

describe('kept links', () => {
  /** The links as written from scratch: the URL with limit set, offset set or (at 0) left out. */
  const link = (url: string, host: string, protocol: string, limit: number, offset: number) => {
    const u = new URL(url, `${protocol}://${host}`);
    u.searchParams.set('limit', String(limit));
    if (offset > 0) u.searchParams.set('offset', String(offset));
    else u.searchParams.delete('offset');
    return u.toString();
  };

  it('are the links built now, whatever was asked before (every part of a request picks its own)', () => {
    const ask = fc.record({
      url: fc.constantFrom('/api/plugins/', '/api/plugins/?search=a', '/api/orgs/?offset=3', '/api/x/?limit=2&b=%20'),
      host: fc.constantFrom('api.test:3000', 'other.test', 'api.test:3001'),
      protocol: fc.constantFrom('http', 'https'),
      limit: fc.integer({ min: 1, max: 4 }),
      offset: fc.integer({ min: 0, max: 9 }),
      count: fc.integer({ min: 0, max: 12 }),
    });
    fc.assert(
      fc.property(fc.array(ask, { minLength: 1, maxLength: 40 }), (asks) => {
        for (const { url, host, protocol, limit, offset, count } of asks) {
          const page = toPage(request(url, host, protocol), { limit, offset }, count, []);
          expect(page.next).toBe(offset + limit < count ? link(url, host, protocol, limit, offset + limit) : null);
          const previous = offset > 0 ? link(url, host, protocol, limit, previousOffset(offset, limit, count)) : null;
          expect(page.previous).toBe(previous);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('stay right past the bound of what is kept', () => {
    for (let i = 0; i <= PAGE_LINKS_MAX + 1; i++) toPage(request(`/api/x/?n=${i}`), { limit: 1, offset: 1 }, 3, []);
    const page = toPage(request('/api/x/?n=0'), { limit: 1, offset: 1 }, 3, []);
    expect(page).toEqual({
      count: 3,
      next: 'http://api.test:3000/api/x/?n=0&limit=1&offset=2',
      previous: 'http://api.test:3000/api/x/?n=0&limit=1',
      results: [],
    });
  });
});

describe('previous past the end', () => {
  it('links to the last page on the client’s grid of offsets', () => {
    const page = toPage(request('/api/plugins/?limit=10&offset=100'), { limit: 10, offset: 100 }, 35, []);
    expect(page.previous).toBe('http://api.test:3000/api/plugins/?limit=10&offset=30');
    expect(page.next).toBeNull();
  });

  it('lands on a page that holds items and is the last one, for any offset past the end', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 60 }),
        fc.nat(1000),
        (count, limit, d) => {
          const offset = count + d;
          const prev = previousOffset(offset, limit, count);
          expect(prev).toBeLessThan(count);
          expect(prev + limit).toBeGreaterThanOrEqual(count);
          expect((offset - prev) % limit === 0 || prev === 0).toBe(true);
        },
      ),
    );
  });

  it('links to the first page of an empty list', () => {
    const page = toPage(request('/api/plugins/?limit=10&offset=40'), { limit: 10, offset: 40 }, 0, []);
    expect(page.previous).toBe('http://api.test:3000/api/plugins/?limit=10');
  });
});

describe('pageWindow', () => {
  it('defaults the limit and the offset', () => {
    expect(pageWindow({}, LIMITS)).toEqual({ limit: 20, offset: 0 });
  });

  it('clamps the limit to the maximum', () => {
    expect(pageWindow({ limit: '5000', offset: '3' }, LIMITS)).toEqual({ limit: 100, offset: 3 });
  });

  it('leaves malformed values to the query DTO, using the defaults meanwhile', () => {
    expect(pageWindow({ limit: 'abc', offset: '-1' }, LIMITS)).toEqual({ limit: 20, offset: 0 });
  });
});
