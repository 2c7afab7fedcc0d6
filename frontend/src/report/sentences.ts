/**
 * Sentence time spans recorded while typing: per sentence of the findings and impression, the time of
 * the first and of the last keystroke that shaped it, on the page's gaze clock (`performance.now()`,
 * the clock the gaze samples and the stream's pings use; the server maps it with `sentence_stream`).
 */

export interface SentenceSpan {
  text: string;
  start_ms: number;
  end_ms: number;
}

interface Tracked {
  text: string;
  first: number;
  last: number;
}

/** Sentences of a text: split after `.`, `!` or `?` followed by white space, and at line breaks; trimmed. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export class SentenceClock {
  private readonly fields = new Map<string, Tracked[]>();

  /**
   * A field's text changed at time `t`. A sentence whose text is unchanged keeps its span; one that
   * changed at the same place keeps its first keystroke and takes `t` as its last; a new one starts at `t`.
   */
  update(field: string, text: string, t: number): void {
    const old = this.fields.get(field) ?? [];
    const used = new Set<number>();
    const sentences = splitSentences(text);
    const same = sentences.map((s) => {
      const index = old.findIndex((o, i) => !used.has(i) && o.text === s);
      if (index >= 0) used.add(index);
      return index;
    });
    const next = sentences.map((s, i): Tracked => {
      if (same[i] >= 0) return old[same[i]];
      if (i < old.length && !used.has(i)) {
        used.add(i);
        return { text: s, first: old[i].first, last: t };
      }
      return { text: s, first: t, last: t };
    });
    this.fields.set(field, next);
  }

  /**
   * The spans in report order (the fields as given). Starts never go back (the server wants them in
   * report order: a sentence typed before an earlier one starts when that one does) and ends never
   * precede their start.
   */
  spans(fields: string[]): SentenceSpan[] {
    const out: SentenceSpan[] = [];
    let floor = -Infinity;
    for (const field of fields) {
      for (const s of this.fields.get(field) ?? []) {
        const start = Math.max(s.first, floor);
        floor = start;
        out.push({ text: s.text, start_ms: start, end_ms: Math.max(s.last, start) });
      }
    }
    return out;
  }
}
