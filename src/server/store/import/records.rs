//! A feed's CSV records, read with csv-core one physical line at a time, so that memory stays
//! bounded whatever the feed.

use std::io::Read;

use super::{ImportError, MAX_LINE_BYTES};

/// What [`Records`] read.
pub(super) enum Record<'a> {
    /// A record and the line it starts on.
    Fields { line: u64, fields: Fields<'a> },
    /// A line (or a record over several lines) over [`MAX_LINE_BYTES`], passed over.
    TooLong { line: u64 },
    /// A record whose bytes are not UTF-8.
    NotUtf8 { line: u64 },
}

/// One record's fields, trimmed.
pub(super) struct Fields<'a> {
    text: &'a str,
    ends: &'a [usize],
}

impl<'a> Fields<'a> {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end).map(str::trim)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Every field empty (a line of spaces or commas): not a row.
    pub(super) fn blank(&self) -> bool {
        self.iter().all(str::is_empty)
    }
}

/// Reads a feed's CSV records with the line each starts on, one physical line at a time: csv-core
/// parses what it is given (quotes, doubled quotes, CRLF, a UTF-8 BOM, blank lines), and nothing
/// is held beyond the current line and the current record (each at most [`MAX_LINE_BYTES`]).
pub(super) struct Records<R> {
    lines: Lines<R>,
    core: csv_core::Reader,
    /// Bytes of the current line already given to the parser.
    at: usize,
    end_of_feed: bool,
    /// The current record's fields as written and where each ends.
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl<R: Read> Records<R> {
    pub(super) fn new(feed: R) -> Self {
        Records {
            lines: Lines::new(feed),
            core: csv_core::Reader::new(),
            at: 0,
            end_of_feed: false,
            out: vec![0; 1024],
            ends: vec![0; 16],
        }
    }

    /// The next record; an error when the feed itself cannot be read (a disk error): reading on
    /// would fail the same way.
    pub(super) fn next(&mut self) -> Result<Option<Record<'_>>, ImportError> {
        use csv_core::ReadRecordResult as R;
        let (mut out_len, mut ends_len) = (0, 0);
        // Whether a byte of this record was read (blank lines before it are not), where it
        // started, and how many bytes it has taken so far.
        let (mut started, mut start_line, mut taken) = (false, 0, 0usize);
        loop {
            if self.at >= self.lines.buf.len() && !self.end_of_feed {
                self.at = 0;
                let read = self.lines.next().map_err(|e| {
                    ImportError::Unreadable(format!("near line {}: {e}", self.lines.number + 1))
                })?;
                match read {
                    Line::End => self.end_of_feed = true,
                    Line::Text => {}
                    Line::TooLong => {
                        // The line is passed over, and a record begun on earlier lines with it.
                        let line = if started {
                            start_line
                        } else {
                            self.lines.number
                        };
                        self.core.reset();
                        return Ok(Some(Record::TooLong { line }));
                    }
                }
            }
            let input: &[u8] = if self.end_of_feed {
                &[]
            } else {
                &self.lines.buf[self.at..]
            };
            if !started {
                start_line = self.lines.number;
            }
            let (result, read, written, ended) =
                self.core
                    .read_record(input, &mut self.out[out_len..], &mut self.ends[ends_len..]);
            if !started && input[..read].iter().any(|b| !matches!(b, b'\r' | b'\n')) {
                started = true;
            }
            self.at += read;
            out_len += written;
            ends_len += ended;
            if started {
                taken += read;
            }
            match result {
                R::InputEmpty => {
                    if taken as u64 > MAX_LINE_BYTES {
                        // A quoted field left open runs on: pass the record over, start afresh.
                        self.core.reset();
                        self.at = self.lines.buf.len();
                        return Ok(Some(Record::TooLong { line: start_line }));
                    }
                }
                R::OutputFull => {
                    let grown = self.out.len() * 2;
                    self.out.resize(grown, 0);
                }
                R::OutputEndsFull => {
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                R::Record => {
                    let ends = &self.ends[..ends_len];
                    return Ok(Some(match std::str::from_utf8(&self.out[..out_len]) {
                        Ok(text) if ends.iter().all(|&e| text.is_char_boundary(e)) => {
                            Record::Fields {
                                line: start_line,
                                fields: Fields { text, ends },
                            }
                        }
                        _ => Record::NotUtf8 { line: start_line },
                    }));
                }
                R::End => return Ok(None),
            }
        }
    }
}

/// What [`Lines::next`] read.
pub(super) enum Line {
    /// A line, in `buf` with its line end.
    Text,
    /// A line over [`MAX_LINE_BYTES`]: read through to its end and dropped.
    TooLong,
    End,
}

/// A feed's physical lines, one at a time, each held only up to [`MAX_LINE_BYTES`].
pub(super) struct Lines<R> {
    inner: std::io::BufReader<R>,
    buf: Vec<u8>,
    /// The number of the line in `buf` (1 for the first).
    number: u64,
}

impl<R: Read> Lines<R> {
    pub(super) fn new(feed: R) -> Self {
        Lines {
            inner: std::io::BufReader::with_capacity(64 * 1024, feed),
            buf: Vec::new(),
            number: 0,
        }
    }

    pub(super) fn next(&mut self) -> std::io::Result<Line> {
        use std::io::BufRead;
        self.buf.clear();
        let (mut any, mut too_long) = (false, false);
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                if (self.buf.len() + take) as u64 > MAX_LINE_BYTES {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(&chunk[..take]);
                }
            }
            self.inner.consume(take);
            if done {
                break;
            }
        }
        if !any {
            return Ok(Line::End);
        }
        self.number += 1;
        Ok(if too_long { Line::TooLong } else { Line::Text })
    }
}
