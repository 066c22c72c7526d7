import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderEntry } from '../logs/render.js';
import { sanitizeText } from './text.js';

const BIDI = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
const ANY_BIDI = /[\u202A-\u202E\u2066-\u2069]/;

describe('sanitizeText and bidirectional controls', () => {
  it.each(BIDI.map((c) => [`U+${c.charCodeAt(0).toString(16).toUpperCase()}`, c]))('removes %s and keeps the letters around it', (_name, c) => {
    expect(sanitizeText(`user ${c}gnp.exe`)).toBe('user gnp.exe');
  });

  it('turns a right-to-left override spoof back into what the text says', () => {
    // Displayed as "login ok for admin" by a bidi-aware client; it says something else.
    expect(sanitizeText('login failed for \u202Enimda rof ko nigol')).toBe('login failed for nimda rof ko nigol');
  });

  it('keeps right-to-left scripts themselves', () => {
    expect(sanitizeText('שלום عربي')).toBe('שלום عربي');
  });

  it('never lets a bidi control through, whatever the input', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...BIDI), fc.string())), (parts) => {
        expect(sanitizeText(parts.join(''))).not.toMatch(ANY_BIDI);
      }),
    );
  });

  it('is applied to rendered log lines', () => {
    const [line] = renderEntry({ level: 'ERROR', service: 'auth', category: 'GENERAL', message: 'user \u202Etxt.exe', ts: 0 }, '#logs-all', 'bot!bot@x.y', { colour: false });
    expect(line.plain.toString('utf8')).toBe(':bot!bot@x.y PRIVMSG #logs-all :[ERROR] auth: user txt.exe\r\n');
  });
});
