//! The documented maximum lengths of free text. Every input that takes outside text is
//! checked against one of these before anything is stored; lengths count characters
//! (Unicode scalar values), never bytes.

use crate::error::{AppError, AppResult};

/// A person's or a company's name.
pub const NAME: usize = 100;
/// A postal address.
pub const ADDRESS: usize = 300;
/// The purpose given for revealing personal data.
pub const PURPOSE: usize = 500;
/// A free-text note (follow-ups, leads, defeat reasons).
pub const NOTE: usize = 2_000;
/// Any other ingested or imported field (codes, numbers, dates, amounts).
pub const FIELD: usize = 200;
/// A search text.
pub const SEARCH: usize = 100;

/// `BAD_USER_INPUT` naming `field` when `value` is longer than `max` characters. Stops
/// counting at `max + 1`, so a megabyte costs no more than a short string.
pub fn check(field: &str, value: &str, max: usize) -> AppResult<()> {
    if value.chars().nth(max).is_some() {
        return Err(AppError::bad_input(field, format!("`{field}` is longer than {max} characters")));
    }
    Ok(())
}

/// [`check`] for a value that must say something: blank text is refused with `missing`.
pub fn required(field: &str, value: &str, max: usize, missing: &str) -> AppResult<()> {
    check(field, value, max)?;
    if value.trim().is_empty() {
        return Err(AppError::bad_input(field, missing));
    }
    Ok(())
}

/// [`check`] for an optional value.
pub fn check_opt(field: &str, value: Option<&str>, max: usize) -> AppResult<()> {
    value.map_or(Ok(()), |v| check(field, v, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(check("name", &"王".repeat(NAME), NAME).is_ok());
        let err = check("name", &"王".repeat(NAME + 1), NAME).unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(check("purpose", &"x".repeat(100_000), PURPOSE).is_err());
    }
}
