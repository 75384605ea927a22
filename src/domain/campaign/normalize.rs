//! Turns text into tokens of letters and digits, each with two skeletons: a visual one (look-alike
//! letters of other scripts, digits and symbols read as the Latin letters they imitate) and a
//! phonetic one (Cyrillic transliterated), every skeleton character pointing back at its source.

use std::ops::Range;

/// One run of letters and digits of the source text.
#[derive(Debug, Clone)]
pub struct Token {
    /// Byte range in the source.
    pub span: Range<usize>,
    /// Byte ranges of the source characters.
    pub chars: Vec<Range<usize>>,
    visual: Vec<char>,
    /// For each visual skeleton character, the index of its source character.
    visual_src: Vec<usize>,
    phonetic: Vec<char>,
    phonetic_src: Vec<usize>,
}

impl Token {
    pub fn skeleton(&self, phonetic: bool) -> &[char] {
        if phonetic {
            &self.phonetic
        } else {
            &self.visual
        }
    }

    /// Whether the phonetic skeleton reads differently from the visual one (Cyrillic in the word).
    pub fn has_phonetic_reading(&self) -> bool {
        self.phonetic != self.visual
    }

    /// The source byte range of skeleton characters `from..to`.
    pub fn source(&self, phonetic: bool, from: usize, to: usize) -> Range<usize> {
        let src = if phonetic {
            &self.phonetic_src
        } else {
            &self.visual_src
        };
        self.chars[src[from]].start..self.chars[src[to - 1]].end
    }
}

/// Look-alikes of Latin letters in other scripts, full-width forms and accented letters.
fn visual(c: char) -> Option<char> {
    Some(match c {
        'а' | 'А' | 'α' | 'Α' | 'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'ą' => 'a',
        'В' | 'β' | 'Β' | 'ь' => 'b',
        'с' | 'С' | 'ç' | 'ć' | 'č' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ё' | 'Ё' | 'ε' | 'Ε' | 'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' => 'e',
        'һ' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ї' | 'ι' | 'Ι' | 'ì' | 'í' | 'î' | 'ï' | 'ı' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' | 'Κ' => 'k',
        'ӏ' | 'ł' => 'l',
        'М' | 'Μ' => 'm',
        'Ν' | 'ñ' | 'ń' => 'n',
        'о' | 'О' | 'ο' | 'Ο' | 'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'ø' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ѕ' | 'Ѕ' | 'ś' | 'š' => 's',
        'Т' | 'τ' | 'Τ' => 't',
        'υ' | 'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ν' => 'v',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'у' | 'У' | 'Υ' | 'ý' => 'y',
        'Ζ' | 'ž' | 'ź' | 'ż' => 'z',
        // Full-width Latin letters and digits.
        '\u{FF21}'..='\u{FF3A}' => char::from_u32(c as u32 - 0xFF21 + 'a' as u32)?,
        '\u{FF41}'..='\u{FF5A}' => char::from_u32(c as u32 - 0xFF41 + 'a' as u32)?,
        _ => return None,
    })
}

/// Digits and symbols written for letters (al1express, 4liexpress, @liexpress).
fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        _ => return None,
    })
}

/// Cyrillic (Russian and Ukrainian) letters as they are commonly transliterated.
fn phonetic(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ґ' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' | 'є' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' | 'й' | 'і' | 'ї' => "i",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '@' | '$')
}

fn is_invisible(c: char) -> bool {
    crate::domain::link::is_invisible(c) || matches!(c, '\u{0300}'..='\u{036F}')
}

/// Splits `text` into tokens (invisible characters and combining marks inside a word are skipped).
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current: Option<Vec<(char, Range<usize>)>> = None;
    let flush = |cur: Option<Vec<(char, Range<usize>)>>, tokens: &mut Vec<Token>| {
        if let Some(chars) = cur.filter(|c| !c.is_empty()) {
            tokens.push(build(chars));
        }
    };
    for (i, c) in text.char_indices() {
        let range = i..i + c.len_utf8();
        if is_invisible(c) {
            continue;
        }
        if is_token_char(c) {
            current.get_or_insert_with(Vec::new).push((c, range));
        } else {
            flush(current.take(), &mut tokens);
        }
    }
    flush(current, &mut tokens);
    tokens
}

fn build(chars: Vec<(char, Range<usize>)>) -> Token {
    let has_letter = chars.iter().any(|(c, _)| c.is_alphabetic());
    let mut visual_s = Vec::with_capacity(chars.len());
    let mut visual_src = Vec::with_capacity(chars.len());
    let mut phonetic_s = Vec::with_capacity(chars.len());
    let mut phonetic_src = Vec::with_capacity(chars.len());
    for (i, (c, _)) in chars.iter().enumerate() {
        let c = *c;
        let mapped_digit = if has_letter { leet(c) } else { None };
        let v = mapped_digit
            .or_else(|| visual(c))
            .unwrap_or_else(|| crate::domain::case::lower(c));
        visual_s.push(v);
        visual_src.push(i);
        let lower = crate::domain::case::lower(c);
        if let Some(s) = phonetic(lower) {
            for p in s.chars() {
                phonetic_s.push(p);
                phonetic_src.push(i);
            }
        } else {
            phonetic_s.push(mapped_digit.or_else(|| visual(c)).unwrap_or(lower));
            phonetic_src.push(i);
        }
    }
    Token {
        span: chars[0].1.start..chars[chars.len() - 1].1.end,
        chars: chars.into_iter().map(|(_, r)| r).collect(),
        visual: visual_s,
        visual_src,
        phonetic: phonetic_s,
        phonetic_src,
    }
}

/// A lower bound of the distance, cheap enough to try before it: how many characters of `a` do not
/// occur in `b` (each needs its own edit). Characters are hashed into 64 buckets; a collision only
/// lowers the bound.
fn outside(a: &[char], b: &[char]) -> usize {
    let bucket = |c: &char| 1u64 << (*c as u32 % 64);
    let set = b.iter().fold(0u64, |m, c| m | bucket(c));
    a.iter().filter(|c| set & bucket(c) == 0).count()
}

/// Optimal-string-alignment distance (an adjacent swap counts as one edit), stopping early past `max`.
pub fn distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    // Brand spellings are short: rows on the stack, on the heap only for long words.
    const STACK: usize = 32;
    if a.len().abs_diff(b.len()) > max || outside(a, b) > max || outside(b, a) > max {
        return None;
    }
    let n = b.len();
    let (mut s0, mut s1, mut s2) = ([0usize; STACK], [0usize; STACK], [0usize; STACK]);
    let (mut h0, mut h1, mut h2);
    let (mut prev2, mut prev, mut cur): (&mut [usize], &mut [usize], &mut [usize]) = if n < STACK {
        (&mut s0[..=n], &mut s1[..=n], &mut s2[..=n])
    } else {
        h0 = vec![0; n + 1];
        h1 = vec![0; n + 1];
        h2 = vec![0; n + 1];
        (&mut h0[..], &mut h1[..], &mut h2[..])
    };
    for (j, v) in prev.iter_mut().enumerate() {
        *v = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    (prev[n] <= max).then_some(prev[n])
}

/// The best approximate occurrence of `pattern` inside `text` (Sellers' algorithm): its distance
/// and the range of `text` it covers, if within `max` edits.
///
/// Filtered first: cut the pattern into `max + 1` pieces; `max` edits can spoil at most `max` of
/// them, so an occurrence leaves one piece intact in the text. Most long words hold none, and are
/// passed over in one scan instead of a table per brand spelling.
pub fn find_within(text: &[char], pattern: &[char], max: usize) -> Option<(usize, Range<usize>)> {
    let m = pattern.len();
    let pieces = max + 1;
    if m >= pieces && text.len() > m + max {
        let step = m / pieces;
        let intact = (0..pieces).any(|p| {
            let end = if p + 1 == pieces { m } else { (p + 1) * step };
            let piece = &pattern[p * step..end];
            text.windows(piece.len()).any(|w| w == piece)
        });
        if !intact {
            return None;
        }
    }
    sellers(text, pattern, max)
}

fn sellers(text: &[char], pattern: &[char], max: usize) -> Option<(usize, Range<usize>)> {
    let m = pattern.len();
    // d[i] over the pattern, for the current text position; a match may start anywhere in text.
    let mut prev: Vec<usize> = (0..=m).collect();
    // cur[0] stays 0: a match may start at any text position.
    let mut cur = vec![0; m + 1];
    let mut best: Option<(usize, usize)> = None;
    for j in 1..=text.len() {
        for i in 1..=m {
            let cost = usize::from(pattern[i - 1] != text[j - 1]);
            cur[i] = (prev[i] + 1).min(cur[i - 1] + 1).min(prev[i - 1] + cost);
        }
        if cur[m] <= max && best.is_none_or(|(d, _)| cur[m] < d) {
            best = Some((cur[m], j));
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let (d, end) = best?;
    // The start: the window ending at `end` closest to the pattern.
    let start = (end.saturating_sub(m + max)..=end.saturating_sub(m.saturating_sub(max)))
        .filter_map(|s| distance(&text[s..end], pattern, max).map(|d| (d, s)))
        .min_by_key(|(d, s)| (*d, end - s))?
        .1;
    Some((d, start..end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn skeletons() {
        let t = tokenize("аliехрrеss");
        assert_eq!(
            t[0].skeleton(false).iter().collect::<String>(),
            "aliexpress"
        );
        let t = tokenize("АлиЭкспресс");
        assert_eq!(
            t[0].skeleton(true).iter().collect::<String>(),
            "aliekspress"
        );
        let t = tokenize("al1express 2024");
        assert_eq!(
            t[0].skeleton(false).iter().collect::<String>(),
            "aliexpress"
        );
        assert_eq!(t[1].skeleton(false).iter().collect::<String>(), "2024");
    }

    #[test]
    fn distances() {
        assert_eq!(
            distance(&chars("aliexpres"), &chars("aliexpress"), 2),
            Some(1)
        );
        assert_eq!(
            distance(&chars("ailexpress"), &chars("aliexpress"), 2),
            Some(1)
        );
        assert_eq!(distance(&chars("express"), &chars("aliexpress"), 2), None);
        let (d, r) = find_within(&chars("mybestaliexpresdeals"), &chars("aliexpress"), 1).unwrap();
        assert_eq!((d, r), (1, 6..15));
    }

    proptest::proptest! {
        /// The filter never changes an answer: same as the bare algorithm, over texts made of the
        /// brands' letters (where near misses are common).
        #[test]
        fn the_filter_only_skips_texts_without_a_match(
            text in "[aliexprsb]{0,40}",
            pattern in proptest::sample::select(vec!["aliexpress", "alibaba", "aliekspress", "tmall"]),
            max in 0usize..3,
        ) {
            let (text, pattern) = (chars(&text), chars(pattern));
            proptest::prop_assert_eq!(
                find_within(&text, &pattern, max),
                sellers(&text, &pattern, max)
            );
        }

        /// The lower bound and the early stop never change a distance: same as the full table.
        #[test]
        fn the_bounded_distance_is_the_full_one_when_within(
            a in "[aliexpscdфа1]{0,14}",
            b in proptest::sample::select(vec!["aliexpress", "alibaba", "ali", "express", "экспресс"]),
            max in 0usize..4,
        ) {
            let (a, b) = (chars(&a), chars(b));
            let full = full_distance(&a, &b);
            proptest::prop_assert_eq!(distance(&a, &b, max), (full <= max).then_some(full));
        }
    }

    /// The whole optimal-string-alignment table, nothing skipped.
    fn full_distance(a: &[char], b: &[char]) -> usize {
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        d[a.len()][b.len()]
    }
}
