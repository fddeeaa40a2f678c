import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type AuditNote, AuditNotes } from './audit-notes.js';
import { REDACTED, redact } from './redact.js';

const SETTINGS = {
  webhook_url: { secret: true },
  signing: { secret: true },
  greeting: {},
};

/** An open response (a ServerResponse before it is sent). */
const openResponse = () => Object.assign(new EventEmitter(), { closed: false });

describe('AuditNotes.secretSettings', () => {
  it('marks the keys the manifest flags secret and their string values, nothing else', () => {
    const notes = new AuditNotes();
    const note: AuditNote = { secrets: new Set() };
    notes.run(openResponse(), note, () =>
      notes.secretSettings(SETTINGS, {
        webhook_url: 'https://hooks.example/x1',
        signing: { token: 'inner' },
        greeting: 'Hi',
        unknown: 'u',
      }),
    );
    expect([...note.secrets]).toEqual(['https://hooks.example/x1']);
    expect([...(note.secretFields ?? [])].sort()).toEqual(['signing', 'webhook_url']);
  });

  it('lets redact hide those fields whatever their type, and the values under any other name', () => {
    const notes = new AuditNotes();
    const note: AuditNote = { secrets: new Set() };
    const body = { config: { webhook_url: 'https://hooks.example/x1', signing: { token: 'inner' }, greeting: 'Hi' } };
    notes.run(openResponse(), note, () => notes.secretSettings(SETTINGS, body.config));
    const options = { secretValues: note.secrets, secretFields: note.secretFields };
    expect(redact(body, options)).toEqual({ config: { webhook_url: REDACTED, signing: REDACTED, greeting: 'Hi' } });
    expect(redact({ value: 'https://hooks.example/x1' }, options)).toEqual({ value: REDACTED });
  });

  it('does nothing outside a request, or without definitions or an object of values', () => {
    const notes = new AuditNotes();
    expect(() => notes.secretSettings(SETTINGS, { webhook_url: 'x' })).not.toThrow();
    const note: AuditNote = { secrets: new Set() };
    notes.run(openResponse(), note, () => {
      notes.secretSettings(undefined, { webhook_url: 'x' });
      notes.secretSettings(SETTINGS, ['x']);
      notes.secretSettings(SETTINGS, null);
    });
    expect(note.secrets.size).toBe(0);
    expect(note.secretFields).toBeUndefined();
  });
});
