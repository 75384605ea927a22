//! A text with formatting spans, as Telegram's Bot API carries a message: each span (bold, a link
//! behind words, a spoiler...) says where it starts and how long it is in UTF-16 code units, so an
//! emoji or any other character outside the Basic Multilingual Plane counts twice. Rewriting the
//! links of a post changes the text's length; these functions keep every span on the same
//! characters and cut a long text into messages, spans cut with it.
//!
//! The span's kind is the caller's (`K`): this module only moves offsets.

/// A span over `length` UTF-16 code units of a text, starting at `offset` code units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span<K> {
    pub kind: K,
    pub offset: usize,
    pub length: usize,
}

/// A replacement of `text[start..end]` (byte offsets, on character boundaries) by `with`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub with: String,
}

/// The length of `text` in UTF-16 code units.
pub fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// The byte offset of UTF-16 offset `units` in `text`: the end of the text past it, and the
/// character's start when `units` falls between the two halves of a surrogate pair.
pub fn byte_at(text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (i, c) in text.char_indices() {
        if seen + c.len_utf16() > units {
            return i;
        }
        seen += c.len_utf16();
    }
    text.len()
}

/// Each span's start and end as byte offsets of `text`, start <= end.
fn byte_bounds<K>(text: &str, spans: &[Span<K>]) -> Vec<(usize, usize)> {
    spans
        .iter()
        .map(|s| {
            let start = byte_at(text, s.offset);
            let end = byte_at(text, s.offset.saturating_add(s.length)).max(start);
            (start, end)
        })
        .collect()
}

/// A span from byte offsets of `text` back to UTF-16 units.
fn span_of<K: Clone>(kind: &K, text: &str, start: usize, end: usize) -> Span<K> {
    let offset = utf16_len(&text[..start]);
    Span {
        kind: kind.clone(),
        offset,
        length: utf16_len(&text[start..end]),
    }
}

/// `text` with the `edits` made (sorted by start, not overlapping; others are skipped), and the
/// spans moved with it: a span over an edited part covers its replacement (a bold link stays bold,
/// a link entity covers the new link), a span before it stays, one after it moves. Spans left
/// empty are dropped.
pub fn apply<K: Clone>(text: &str, spans: &[Span<K>], edits: &[Edit]) -> (String, Vec<Span<K>>) {
    let valid: Vec<&Edit> = {
        let mut at = 0;
        edits
            .iter()
            .filter(|e| {
                let ok = e.start >= at
                    && e.start <= e.end
                    && e.end <= text.len()
                    && text.is_char_boundary(e.start)
                    && text.is_char_boundary(e.end);
                if ok {
                    at = e.end;
                }
                ok
            })
            .collect()
    };
    let mut out =
        String::with_capacity(text.len() + valid.iter().map(|e| e.with.len()).sum::<usize>());
    let mut at = 0;
    for e in &valid {
        out.push_str(&text[at..e.start]);
        out.push_str(&e.with);
        at = e.end;
    }
    out.push_str(&text[at..]);
    // Where a byte offset of the old text lands in the new one; `end` says which side of an
    // edited part a position inside it goes to.
    let moved = |p: usize, end: bool| -> usize {
        let mut shift: isize = 0;
        for e in &valid {
            if p <= e.start {
                break;
            }
            if p < e.end {
                let start = e.start.cast_signed() + shift;
                let new = if end {
                    start + e.with.len().cast_signed()
                } else {
                    start
                };
                return new.cast_unsigned();
            }
            shift += e.with.len().cast_signed() - (e.end - e.start).cast_signed();
        }
        (p.cast_signed() + shift).cast_unsigned()
    };
    let moved_spans = spans
        .iter()
        .zip(byte_bounds(text, spans))
        .filter_map(|(s, (start, end))| {
            let (start, end) = (moved(start, false), moved(end, true));
            (end > start).then(|| span_of(&s.kind, &out, start, end))
        })
        .collect();
    (out, moved_spans)
}

/// `text` cut into parts of at most `limit` UTF-16 units each, at a line end where one falls in
/// the second half of a part, else at a space there, else at the limit (never inside a
/// character); each span goes with the part(s) it covers, cut where the text is. Parts are never
/// empty (an empty text gives no part).
pub fn split<K: Clone>(text: &str, spans: &[Span<K>], limit: usize) -> Vec<(String, Vec<Span<K>>)> {
    let limit = limit.max(2);
    let bounds = byte_bounds(text, spans);
    let mut parts = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let rest = &text[start..];
        let end = if utf16_len(rest) <= limit {
            text.len()
        } else {
            let hard = start + byte_at(rest, limit);
            let window = &text[start..hard];
            let half = byte_at(window, limit / 2);
            let cut = window[half..]
                .rfind('\n')
                .map(|i| half + i + 1)
                .or_else(|| window[half..].rfind(' ').map(|i| half + i + 1));
            start + cut.unwrap_or(window.len())
        };
        let end = if end == start {
            // One character longer than the limit cannot be (limit >= 2): take it whole.
            start + rest.chars().next().map_or(rest.len(), char::len_utf8)
        } else {
            end
        };
        let piece = &text[start..end];
        let piece_spans = spans
            .iter()
            .zip(&bounds)
            .filter_map(|(s, &(a, b))| {
                let (a, b) = (a.max(start), b.min(end));
                (b > a).then(|| span_of(&s.kind, piece, a - start, b - start))
            })
            .collect();
        parts.push((piece.to_string(), piece_spans));
        start = end;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(kind: &'static str, offset: usize, length: usize) -> Span<&'static str> {
        Span {
            kind,
            offset,
            length,
        }
    }

    /// The characters a span covers, read back through UTF-16 as Telegram does.
    fn covered(text: &str, s: &Span<&str>) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        String::from_utf16(&units[s.offset..s.offset + s.length]).unwrap()
    }

    fn edit(text: &str, old: &str, with: &str) -> Edit {
        let start = text.find(old).unwrap();
        Edit {
            start,
            end: start + old.len(),
            with: with.to_string(),
        }
    }

    #[test]
    fn utf16_offsets_count_astral_characters_twice() {
        assert_eq!(utf16_len("a🔥b"), 4);
        assert_eq!(byte_at("a🔥b", 1), 1);
        assert_eq!(byte_at("a🔥b", 3), 5);
        assert_eq!(
            byte_at("a🔥b", 2),
            1,
            "inside a surrogate pair: the character's start"
        );
        assert_eq!(byte_at("a🔥b", 99), 6);
    }

    #[test]
    fn spans_keep_their_words_after_a_link_grows_behind_emoji() {
        let text = "🔥🔥 Sale! https://aliexpress.com/item/1.html now 💥 bold";
        let link = "https://aliexpress.com/item/1.html";
        let units = |s: &str| utf16_len(&text[..text.find(s).unwrap()]);
        let spans = vec![
            span("bold", units("Sale"), 4),
            span("url", units(link), utf16_len(link)),
            span("italic", units("now"), 3),
            span("spoiler", units("bold"), 4),
        ];
        let new =
            "https://aff.example/redirect?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1.html&sub=tg";
        let (out, moved) = apply(text, &spans, &[edit(text, link, new)]);
        assert_eq!(out, text.replace(link, new));
        let words: Vec<String> = moved.iter().map(|s| covered(&out, s)).collect();
        assert_eq!(words, ["Sale", new, "now", "bold"]);
    }

    #[test]
    fn a_span_over_a_link_and_words_covers_the_new_link_and_the_words() {
        let text = "Buy here: https://a.test/x today";
        let spans = vec![span("bold", 4, 22)]; // "here: https://a.test/x"
        assert_eq!(covered(text, &spans[0]), "here: https://a.test/x");
        let (out, moved) = apply(
            text,
            &spans,
            &[edit(text, "https://a.test/x", "https://b.test/longer")],
        );
        assert_eq!(covered(&out, &moved[0]), "here: https://b.test/longer");
    }

    #[test]
    fn a_span_ending_inside_a_link_ends_after_its_replacement_and_one_starting_inside_starts_before(
    ) {
        let text = "ab LINKLINK cd";
        let spans = vec![span("bold", 0, 7), span("italic", 7, 7)];
        let (out, moved) = apply(text, &spans, &[edit(text, "LINKLINK", "NEW")]);
        assert_eq!(out, "ab NEW cd");
        assert_eq!(covered(&out, &moved[0]), "ab NEW");
        assert_eq!(covered(&out, &moved[1]), "NEW cd");
    }

    #[test]
    fn several_edits_shift_later_spans_by_their_sum_and_bad_edits_are_skipped() {
        let text = "x L1 y L2 z";
        let spans = vec![span("code", 10, 1)];
        let edits = [
            edit(text, "L1", "long-one"),
            Edit {
                start: 3,
                end: 2,
                with: "bad".into(),
            },
            edit(text, "L2", "2"),
        ];
        let (out, moved) = apply(text, &spans, &edits);
        assert_eq!(out, "x long-one y 2 z");
        assert_eq!(covered(&out, &moved[0]), "z");
    }

    #[test]
    fn a_span_over_a_link_replaced_by_nothing_is_dropped() {
        let text = "a LINK b";
        let (out, moved) = apply(text, &[span("url", 2, 4)], &[edit(text, "LINK", "")]);
        assert_eq!(out, "a  b");
        assert!(moved.is_empty());
    }

    #[test]
    fn a_long_text_is_cut_at_line_ends_and_spans_are_cut_with_it() {
        let line = "🔥 a line of text\n"; // 18 UTF-16 units
        let text = line.repeat(10);
        assert_eq!(utf16_len(line), 18);
        // Bold over the whole text.
        let spans = vec![span("bold", 0, utf16_len(&text))];
        let parts = split(&text, &spans, 50);
        assert!(parts
            .iter()
            .all(|(p, _)| utf16_len(p) <= 50 && p.ends_with('\n')));
        assert_eq!(
            parts.iter().map(|(p, _)| p.as_str()).collect::<String>(),
            text
        );
        for (p, s) in &parts {
            assert_eq!(s.len(), 1);
            assert_eq!(covered(p, &s[0]), *p);
        }
    }

    #[test]
    fn a_text_without_line_ends_is_cut_at_spaces_then_at_the_limit_never_inside_a_character() {
        let words = "word ".repeat(30);
        assert!(split(&words, &[] as &[Span<&str>], 22)
            .iter()
            .all(|(p, _)| p.ends_with(' ') && utf16_len(p) <= 22));
        let emoji = "🔥".repeat(7); // 14 units
        let parts = split(&emoji, &[span("spoiler", 2, 10)], 5);
        assert!(parts
            .iter()
            .all(|(p, _)| utf16_len(p) <= 5 && !p.is_empty()));
        assert_eq!(
            parts.iter().map(|(p, _)| p.as_str()).collect::<String>(),
            emoji
        );
        let covered_all: String = parts
            .iter()
            .flat_map(|(p, s)| s.iter().map(|s| covered(p, s)).collect::<Vec<_>>())
            .collect();
        assert_eq!(covered_all, "🔥".repeat(5));
        assert!(split("", &[] as &[Span<&str>], 10).is_empty());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Texts of letters, spaces, line ends, Cyrillic, emoji and a "LINK" to replace.
        fn text() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![
                    Just("a"),
                    Just(" "),
                    Just("\n"),
                    Just("ж"),
                    Just("🔥"),
                    Just("👍🏽"),
                    Just("LINK")
                ],
                0..60,
            )
            .prop_map(|parts| parts.concat())
        }

        proptest! {
            #[test]
            fn spans_away_from_the_edits_cover_the_same_characters(
                text in text(),
                picks in prop::collection::vec((0usize..200, 0usize..40), 0..6),
                with in "[a-z🔥]{0,12}",
            ) {
                let total = utf16_len(&text);
                let edits: Vec<Edit> = text
                    .match_indices("LINK")
                    .map(|(i, l)| Edit { start: i, end: i + l.len(), with: with.clone() })
                    .collect();
                // Spans on character boundaries, as Telegram sends them.
                let starts: Vec<usize> = text.char_indices().map(|(i, _)| utf16_len(&text[..i])).chain([total]).collect();
                let spans: Vec<Span<usize>> = picks
                    .iter()
                    .enumerate()
                    .map(|(n, &(a, l))| {
                        let a = starts[a % starts.len()];
                        let b = starts.iter().copied().filter(|&b| b >= a).nth(l % 4).unwrap_or(total);
                        Span { kind: n, offset: a, length: b - a }
                    })
                    .collect();
                let (out, moved) = apply(&text, &spans, &edits);
                let units: Vec<u16> = out.encode_utf16().collect();
                prop_assert!(moved.iter().all(|s| s.offset + s.length <= units.len() && s.length > 0));
                for s in &spans {
                    let (a, b) = (byte_at(&text, s.offset), byte_at(&text, s.offset + s.length));
                    let old = &text[a..b];
                    if !old.is_empty() && !edits.iter().any(|e| e.start < b && a < e.end) {
                        let m = moved.iter().find(|m| m.kind == s.kind).expect("kept");
                        prop_assert_eq!(String::from_utf16(&units[m.offset..m.offset + m.length]).unwrap(), old);
                    }
                }
                for limit in [7, 64] {
                    let parts = split(&out, &moved, limit);
                    prop_assert_eq!(parts.iter().map(|(p, _)| p.as_str()).collect::<String>(), out.clone());
                    for (p, ss) in &parts {
                        prop_assert!(utf16_len(p) <= limit && !p.is_empty());
                        prop_assert!(ss.iter().all(|s| s.offset + s.length <= utf16_len(p) && s.length > 0));
                    }
                }
            }
        }
    }
}
