//! What a cell may hold before it reaches the hub, and how the hub writes cells.
//!
//! A cell that a spreadsheet would run as a formula (OWASP "CSV injection") is refused
//! on the way in — a name or an address that starts with `=`, `@`, or with `+`/`-`
//! followed by anything but a number — so that it is never stored and never handed on
//! to the next spreadsheet. Every CSV the hub writes prefixes a cell starting with
//! `=`, `+`, `-`, `@`, tab or carriage return with a single quote.

use std::borrow::Cow;

/// The most characters a cell of `column` may hold: the documented maximum of the
/// ingested field (`domain::ingest::max_length`, built on `domain::limits`).
pub fn max_chars(column: &str) -> usize {
    crate::domain::ingest::max_length(column)
}

/// The full-width forms that become ASCII on normalisation count as their ASCII twin.
fn fold(c: char) -> char {
    match c {
        '＝' => '=',
        '＋' => '+',
        '－' => '-',
        '＠' => '@',
        other => other,
    }
}

/// Why a spreadsheet would run `value` as a formula, if it would: the character it
/// starts with (after blanks, tabs and carriage returns, which normalisation trims).
/// A signed number — a phone like `+86 139 0000 1000`, an amount like `-12.00` — and a
/// placeholder made of dashes only are values, not formulas.
pub fn formula(value: &str) -> Option<char> {
    let rest = value.trim_start();
    let mut chars = rest.chars().map(fold);
    let first = chars.next()?;
    match first {
        '=' | '@' => Some(first),
        '+' | '-' => {
            let number = chars.all(|c| {
                c.is_ascii_digit()
                    || matches!(c, ' ' | '-' | '.' | ',' | '(' | ')' | '¥' | '￥')
                    || ('０'..='９').contains(&c)
            });
            (!number).then_some(first)
        }
        _ => None,
    }
}

/// The problems of one cell: too long for its column, or a formula.
pub fn check(column: &str, value: &str) -> Option<String> {
    let max = max_chars(column);
    if value.chars().nth(max).is_some() {
        return Some(format!("is longer than {max} characters (the limit for {column}); not imported"));
    }
    formula(value).map(|c| {
        format!(
            "starts with `{c}`: a spreadsheet would run it as a formula (CSV injection); not imported — \
             remove the `{c}` or the cell"
        )
    })
}

/// A cell as the hub writes it into a CSV file: prefixed with a single quote when a
/// spreadsheet would otherwise read it as a formula (OWASP CSV injection).
pub fn escape(cell: &str) -> Cow<'_, str> {
    match cell.chars().next().map(fold) {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_told_from_signed_numbers() {
        for value in [
            "=HYPERLINK(\"http://x\",\"y\")",
            " =1+1",
            "\t=cmd|' /C calc'!A0",
            "@SUM(A1)",
            "+1+1",
            "-2+3",
            "＝1+1",
            "-HYPERLINK(1)",
        ] {
            assert!(formula(value).is_some(), "{value}");
        }
        for value in ["+86 139 0000 1000", "-12.00", "-1,280.50", "+86(0571)88886666", "-", "--", "王建国", "", "a=b"]
        {
            assert_eq!(formula(value), None, "{value}");
        }
    }

    use crate::domain::limits;

    #[test]
    fn long_cells_and_formulas_are_refused_with_a_reason() {
        assert!(check("customer_name", &"王".repeat(limits::NAME)).is_none());
        assert!(check("customer_name", &"王".repeat(limits::NAME + 1)).unwrap().contains("longer than 100"));
        assert!(check("address", &"x".repeat(1_000_000)).unwrap().contains("longer than 300"));
        assert!(check("phone", "+86 139 0000 1000").is_none());
        assert!(check("customer_name", "=1+1").unwrap().contains("formula"));
    }

    #[test]
    fn written_cells_are_escaped() {
        assert_eq!(escape("=1+1"), "'=1+1");
        assert_eq!(escape("+86"), "'+86");
        assert_eq!(escape("-1"), "'-1");
        assert_eq!(escape("@x"), "'@x");
        assert_eq!(escape("\tx"), "'\tx");
        assert_eq!(escape("\rx"), "'\rx");
        assert_eq!(escape("row"), "row");
        assert_eq!(escape(""), "");
    }
}
