import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeTimestamp } from '../../src/published-at.js';

/** The same instant with a space for `T`: never the canonical form, so always the full parse. */
const fullParse = (text: string) => normalizeTimestamp(text.replace('T', ' '));

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('normalizeTimestamp', () => {
  it('gives a canonical timestamp back as it is only when the full parse would print the same', () => {
    const years = [0, 99, 100, 999, 1000, 1582, 1900, 1970, 2000, 2023, 2024, 2100, 2400, 9999];
    const fractions = ['', '.1', '.5', '.15138532', '.123456789', '.000000001'];
    let checked = 0;
    for (const year of years) {
      for (let month = 0; month <= 13; month++) {
        for (const day of [0, 1, 28, 29, 30, 31, 32]) {
          for (const [hour, minute, second] of [[0, 0, 0], [23, 59, 59], [24, 0, 0], [12, 60, 0], [12, 0, 60]] as const) {
            const fraction = fractions[checked % fractions.length]!;
            const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${fraction}Z`;
            assert.equal(normalizeTimestamp(text), fullParse(text), text);
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 6000);
  });

  it('keeps the calendar: leap days, month lengths, the last second of a minute', () => {
    assert.equal(normalizeTimestamp('2024-02-29T00:00:00Z'), '2024-02-29T00:00:00Z');
    assert.equal(normalizeTimestamp('2000-02-29T00:00:00.5Z'), '2000-02-29T00:00:00.5Z');
    assert.equal(normalizeTimestamp('2023-02-29T00:00:00Z'), undefined);
    assert.equal(normalizeTimestamp('1900-02-29T00:00:00Z'), undefined);
    assert.equal(normalizeTimestamp('2023-04-31T00:00:00Z'), undefined);
    assert.equal(normalizeTimestamp('2023-12-31T23:59:60Z'), undefined);
  });

  it('rewrites the other forms as the official registry prints them', () => {
    assert.equal(normalizeTimestamp('2024-01-02T03:04:05.151385320Z'), '2024-01-02T03:04:05.15138532Z');
    assert.equal(normalizeTimestamp('2024-01-02T03:04:05.000Z'), '2024-01-02T03:04:05Z');
    assert.equal(normalizeTimestamp('2024-01-02t03:04:05z'), '2024-01-02T03:04:05Z');
    assert.equal(normalizeTimestamp('2024-01-02T03:04:05+01:30'), '2024-01-02T01:34:05Z');
    assert.equal(normalizeTimestamp('not a time'), undefined);
  });
});
