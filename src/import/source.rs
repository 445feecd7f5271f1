//! Reading an export: which encoding it is in, its lines, and the cells of a line.
//!
//! The file is read twice, both times as a stream: once to recognise its encoding (a
//! UTF-8 check and `chardetng` over every byte), once line by line. No line is held in
//! memory beyond [`MAX_LINE_BYTES`]; a longer one is skipped to its end and reported.
//!
//! One line is one record: no cell of an import layout holds a line break, so a quote
//! left open is reported on its own line instead of swallowing the lines after it.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use encoding_rs::Encoding;

use super::ImportError;

/// The longest line (record) the import reads, in bytes. A line beyond it is rejected
/// without being kept; every column's own limit is far below it.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// How the encoding of a file was decided.
#[derive(Debug, Clone, Copy)]
pub struct Detected {
    pub encoding: &'static Encoding,
    /// Bytes of byte-order mark to skip at the start.
    pub bom: usize,
    pub how: &'static str,
}

/// The encoding named by `--encoding`: any WHATWG label (`gb18030`, `gbk`, `big5`,
/// `utf-8`, …) except the UTF-16 ones, whose lines cannot be split on a byte.
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding, ImportError> {
    let encoding = Encoding::for_label_no_replacement(label.trim().as_bytes())
        .ok_or_else(|| ImportError::Encoding(format!("unknown encoding `{label}` (try utf-8 or gb18030)")))?;
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        return Err(ImportError::Encoding(
            "UTF-16 files are not read; save the file as \"CSV UTF-8 (comma delimited)\"".into(),
        ));
    }
    Ok(encoding)
}

fn open(path: &Path) -> Result<File, ImportError> {
    File::open(path).map_err(|e| ImportError::Read(format!("cannot open {}: {e}", path.display())))
}

fn read_error(path: &Path, e: &std::io::Error) -> ImportError {
    ImportError::Read(format!("cannot read {}: {e}", path.display()))
}

/// Decides the encoding of `path`: a byte-order mark; else `forced` (`--encoding`);
/// else UTF-8 when every byte of the file is valid UTF-8; else GB18030 when the file
/// looks like GBK/GB18030 Chinese text. Anything else is refused with what to do:
/// better no import than names stored as mojibake.
pub fn detect(path: &Path, forced: Option<&'static Encoding>) -> Result<Detected, ImportError> {
    let mut reader = BufReader::with_capacity(64 * 1024, open(path)?);
    let start = reader.fill_buf().map_err(|e| read_error(path, &e))?;
    let shown = path.display();
    if start.starts_with(b"PK\x03\x04") || start.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(ImportError::Encoding(format!(
            "{shown} is an Excel workbook, not a CSV file; in Excel use Save As → \"CSV UTF-8 (comma delimited)\" and import that file"
        )));
    }
    match Encoding::for_bom(start) {
        Some((encoding, bom)) if encoding == encoding_rs::UTF_8 => {
            return Ok(Detected { encoding, bom, how: "byte-order mark" });
        }
        Some(_) => {
            return Err(ImportError::Encoding(format!(
                "{shown} is UTF-16 (\"Unicode text\"), which the import does not read; save it as \"CSV UTF-8 (comma delimited)\" and import again"
            )));
        }
        None => {}
    }
    if let Some(encoding) = forced {
        return Ok(Detected { encoding, bom: 0, how: "--encoding" });
    }
    let mut detector = chardetng::EncodingDetector::new();
    let mut utf8 = true;
    // The bytes of a UTF-8 sequence cut by the end of the previous chunk.
    let mut carry: Vec<u8> = Vec::new();
    let mut first = true;
    loop {
        let chunk = reader.fill_buf().map_err(|e| read_error(path, &e))?;
        if chunk.is_empty() {
            break;
        }
        // A NUL in the first line is a binary file (or UTF-16); one further on is a line's.
        let first_line = chunk.split(|b| *b == b'\n').next().unwrap_or(chunk);
        if first && first_line.contains(&0) {
            return Err(ImportError::Encoding(format!(
                "{shown} holds NUL bytes: it is not a text (CSV) file, or it is UTF-16; save it as \"CSV UTF-8 (comma delimited)\""
            )));
        }
        detector.feed(chunk, false);
        if utf8 {
            carry.extend_from_slice(chunk);
            match std::str::from_utf8(&carry) {
                Ok(_) => carry.clear(),
                // Cut at the end of the chunk: keep the (at most 3) bytes for the next one.
                Err(e) if e.error_len().is_none() => {
                    carry.drain(..e.valid_up_to());
                }
                Err(_) => utf8 = false,
            }
        }
        let n = chunk.len();
        reader.consume(n);
        first = false;
    }
    detector.feed(&[], true);
    if utf8 && carry.is_empty() {
        return Ok(Detected { encoding: encoding_rs::UTF_8, bom: 0, how: "valid UTF-8" });
    }
    // Judged on the text alone (no bias towards a country's usual encoding): a Latin
    // file must not pass for GBK, whose byte pairs can take almost any Latin letter.
    let guess = detector.guess(None, false);
    if guess == encoding_rs::GBK || guess == encoding_rs::GB18030 {
        // GB18030 is the superset: it decodes every GBK file as well.
        return Ok(Detected { encoding: encoding_rs::GB18030, bom: 0, how: "detected" });
    }
    Err(ImportError::Encoding(format!(
        "{shown} is not UTF-8 and does not look like GBK/GB18030 either (it looks most like {}); \
         save it as \"CSV UTF-8 (comma delimited)\", or name its encoding with --encoding (for example --encoding gb18030)",
        guess.name()
    )))
}

/// One line of the file, numbered from 1 (the header).
#[derive(Debug)]
pub enum Line {
    Text(String),
    /// Longer than [`MAX_LINE_BYTES`]; its bytes were skipped.
    TooLong(usize),
    /// Not valid text in the file's encoding.
    Malformed,
    /// Holds a NUL byte: binary data, not text.
    Binary,
}

/// The lines of a file, read as a stream in its detected encoding.
pub struct Lines {
    reader: BufReader<File>,
    encoding: &'static Encoding,
    number: u64,
    bytes: u64,
    buffer: Vec<u8>,
    path: std::path::PathBuf,
}

impl Lines {
    pub fn open(path: &Path, detected: &Detected) -> Result<Self, ImportError> {
        let mut reader = BufReader::with_capacity(64 * 1024, open(path)?);
        let mut bom = vec![0u8; detected.bom];
        reader.read_exact(&mut bom).map_err(|e| read_error(path, &e))?;
        Ok(Self {
            reader,
            encoding: detected.encoding,
            number: 0,
            bytes: detected.bom as u64,
            buffer: Vec::new(),
            path: path.to_owned(),
        })
    }

    /// Bytes read so far (for the progress bar).
    pub fn position(&self) -> u64 {
        self.bytes
    }

    /// The next line and its number; `None` at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<(u64, Line)>, ImportError> {
        self.buffer.clear();
        let mut length = 0usize;
        let mut any = false;
        loop {
            let chunk = self.reader.fill_buf().map_err(|e| read_error(&self.path, &e))?;
            if chunk.is_empty() {
                break;
            }
            any = true;
            // Bytes, not text: a newline byte never occurs inside a UTF-8 or GB18030
            // character, so the line ends at the first one.
            let part = chunk.split(|b| *b == b'\n').next().unwrap_or(chunk);
            let done = part.len() < chunk.len();
            length += part.len();
            if length <= MAX_LINE_BYTES {
                self.buffer.extend_from_slice(part);
            }
            let used = part.len() + usize::from(done);
            self.reader.consume(used);
            self.bytes += used as u64;
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.number += 1;
        if length > MAX_LINE_BYTES {
            return Ok(Some((self.number, Line::TooLong(length))));
        }
        if self.buffer.last() == Some(&b'\r') {
            self.buffer.pop();
        }
        if self.buffer.contains(&0) {
            return Ok(Some((self.number, Line::Binary)));
        }
        let text = if self.encoding == encoding_rs::UTF_8 {
            String::from_utf8(std::mem::take(&mut self.buffer)).ok()
        } else {
            self.encoding.decode_without_bom_handling_and_without_replacement(&self.buffer).map(|t| t.into_owned())
        };
        Ok(Some((self.number, text.map_or(Line::Malformed, Line::Text))))
    }
}

/// A quote opened at the start of the cell in `column` (counted from 0) and not closed
/// before the end of the line.
#[derive(Debug, PartialEq, Eq)]
pub struct Unclosed {
    pub column: usize,
}

/// The cells of one line of comma-separated values (RFC 4180 quoting: a quote at the
/// start of a cell opens it, `""` inside is one quote; a quote elsewhere is kept as
/// it is).
pub fn cells(line: &str) -> Result<Vec<String>, Unclosed> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut at_start = true;
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cell.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cell.push(c);
            }
            continue;
        }
        match c {
            ',' => {
                cells.push(std::mem::take(&mut cell));
                at_start = true;
                continue;
            }
            '"' if at_start => quoted = true,
            other => cell.push(other),
        }
        at_start = false;
    }
    if quoted {
        return Err(Unclosed { column: cells.len() });
    }
    cells.push(cell);
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_rfc_4180_quoting() {
        assert_eq!(cells("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(cells("\"a,b\",\"say \"\"hi\"\"\",x").unwrap(), ["a,b", "say \"hi\"", "x"]);
        assert_eq!(cells("王\"小\"明,1").unwrap(), ["王\"小\"明", "1"]);
        assert_eq!(cells("").unwrap(), [""]);
        assert_eq!(cells("a,\"b,c"), Err(Unclosed { column: 1 }));
        assert_eq!(cells("\"a"), Err(Unclosed { column: 0 }));
    }

    #[test]
    fn labels_name_encodings_and_utf16_is_refused() {
        assert_eq!(encoding_for_label("GBK").unwrap(), encoding_rs::GBK);
        assert_eq!(encoding_for_label("gb18030").unwrap(), encoding_rs::GB18030);
        assert!(encoding_for_label("utf-16le").is_err());
        assert!(encoding_for_label("klingon").is_err());
    }
}
