import { describe, expect, it } from 'vitest';
import { clearIfUnchanged } from './draft.js';

describe('clearIfUnchanged', () => {
  it('clears the input that still holds the saved text', () => {
    expect(clearIfUnchanged('Learn JWT')('Learn JWT')).toBe('');
  });

  it('keeps what was typed while the save was under way', () => {
    expect(clearIfUnchanged('Learn JWT')('Rotate keys')).toBe('Rotate keys');
    expect(clearIfUnchanged('Learn JWT')('Learn JWT and more')).toBe('Learn JWT and more');
    expect(clearIfUnchanged('Learn JWT')('')).toBe('');
  });
});
