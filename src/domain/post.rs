//! A formatted post's links: where they are (written in the text, or behind words as a link
//! span), and the post rewritten with each replaced, every other span kept on its characters.
//! What a span is stays the caller's (Telegram's entity kinds for the bot): it only has to say
//! whether it hides a link, and make a copy pointing elsewhere.

use crate::domain::{
    formatted::{apply, byte_at, Edit, Span},
    link::{extract, PasteTooLarge},
};

/// A span kind that may hide a link behind words (Telegram's `text_link`).
pub trait LinkSpan: Clone {
    /// The address behind the words, if this span is a link.
    fn hidden_link(&self) -> Option<&str>;

    /// The same span pointing at `url`.
    #[must_use]
    fn pointing_at(&self, url: String) -> Self;
}

/// Where a link of a post stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Written in the text: `text[start..end]` (bytes).
    Text { start: usize, end: usize },
    /// Behind words: the address of `spans[index]`.
    Behind { index: usize },
}

/// A link of a post: what it says, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostLink {
    pub input: String,
    pub place: Place,
}

/// Every link of a post, in the order a reader meets them (a link behind words where its words
/// start); a link written in the text is not counted again when a span hides the same address
/// over it.
pub fn links<K: LinkSpan>(text: &str, spans: &[Span<K>]) -> Result<Vec<PostLink>, PasteTooLarge> {
    let mut found: Vec<(usize, PostLink)> = extract(text)?
        .into_iter()
        .map(|c| {
            (
                c.start,
                PostLink {
                    input: c.text.to_string(),
                    place: Place::Text {
                        start: c.start,
                        end: c.end,
                    },
                },
            )
        })
        .collect();
    for (index, span) in spans.iter().enumerate() {
        let Some(url) = span.kind.hidden_link() else {
            continue;
        };
        let at = byte_at(text, span.offset);
        found.push((
            at,
            PostLink {
                input: url.to_string(),
                place: Place::Behind { index },
            },
        ));
    }
    // Stable: at one place, the written link before the one behind it.
    found.sort_by_key(|(at, link)| (*at, matches!(link.place, Place::Behind { .. })));
    Ok(found.into_iter().map(|(_, link)| link).collect())
}

/// The post with `links[i]` replaced by `with[i]` where it is `Some` (a link refused or not
/// AliExpress's stays as it was): links in the text are edited, every span moving with them;
/// links behind words point at their replacement.
pub fn rewrite<K: LinkSpan>(
    text: &str,
    spans: &[Span<K>],
    links: &[PostLink],
    with: &[Option<String>],
) -> (String, Vec<Span<K>>) {
    let mut spans = spans.to_vec();
    let mut edits = Vec::new();
    for (link, new) in links.iter().zip(with) {
        let Some(new) = new else { continue };
        match link.place {
            Place::Text { start, end } => edits.push(Edit {
                start,
                end,
                with: new.clone(),
            }),
            Place::Behind { index } => {
                if let Some(span) = spans.get_mut(index) {
                    span.kind = span.kind.pointing_at(new.clone());
                }
            }
        }
    }
    edits.sort_by_key(|e| e.start);
    apply(text, &spans, &edits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::formatted::utf16_len;

    #[derive(Debug, Clone, PartialEq)]
    enum Kind {
        Bold,
        Url,
        TextLink(String),
    }

    impl LinkSpan for Kind {
        fn hidden_link(&self) -> Option<&str> {
            match self {
                Kind::TextLink(url) => Some(url),
                _ => None,
            }
        }

        fn pointing_at(&self, url: String) -> Kind {
            match self {
                Kind::TextLink(_) => Kind::TextLink(url),
                other => other.clone(),
            }
        }
    }

    fn at(text: &str, s: &str) -> usize {
        utf16_len(&text[..text.find(s).unwrap()])
    }

    fn covered(text: &str, s: &Span<Kind>) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        String::from_utf16(&units[s.offset..s.offset + s.length]).unwrap()
    }

    #[test]
    fn links_written_and_behind_words_in_reading_order_each_rewritten() {
        let text = "🔥 Deal: cable here, also https://aliexpress.ru/item/1005001234567890.html ✅ and https://t.me/chan";
        let written = "https://aliexpress.ru/item/1005001234567890.html";
        let spans = vec![
            Span {
                kind: Kind::TextLink("https://aliexpress.com/item/1005006295880104.html".into()),
                offset: at(text, "cable"),
                length: 10,
            },
            Span {
                kind: Kind::Bold,
                offset: at(text, "also"),
                length: 4 + 1 + utf16_len(written),
            },
            Span {
                kind: Kind::Url,
                offset: at(text, written),
                length: utf16_len(written),
            },
        ];
        let found = links(text, &spans).unwrap();
        let inputs: Vec<&str> = found.iter().map(|l| l.input.as_str()).collect();
        assert_eq!(
            inputs,
            [
                "https://aliexpress.com/item/1005006295880104.html",
                written,
                "https://t.me/chan"
            ]
        );
        let with = vec![
            Some("https://aff.example/?to=A&sub=tg".to_string()),
            Some("https://aff.example/?to=B&sub=tg".to_string()),
            None, // not AliExpress's: left as it was
        ];
        let (out, moved) = rewrite(text, &spans, &found, &with);
        assert_eq!(
            out,
            "🔥 Deal: cable here, also https://aff.example/?to=B&sub=tg ✅ and https://t.me/chan"
        );
        assert_eq!(
            moved[0].kind,
            Kind::TextLink("https://aff.example/?to=A&sub=tg".into())
        );
        assert_eq!(covered(&out, &moved[0]), "cable here");
        assert_eq!(
            covered(&out, &moved[1]),
            "also https://aff.example/?to=B&sub=tg"
        );
        assert_eq!(covered(&out, &moved[2]), "https://aff.example/?to=B&sub=tg");
    }

    #[test]
    fn a_post_without_links_is_left_alone() {
        let text = "Just words, 🔥 and no address.";
        let spans = vec![Span {
            kind: Kind::Bold,
            offset: 0,
            length: 4,
        }];
        let found = links(text, &spans).unwrap();
        assert!(found.is_empty());
        let (out, moved) = rewrite(text, &spans, &found, &[]);
        assert_eq!((out.as_str(), moved), (text, spans));
    }
}
