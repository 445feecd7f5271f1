//! Normalizing what people and source systems type: phones, plates, VINs, ID numbers.

use sha2::{Digest, Sha256};

/// A Chinese mobile number as `+86` and 11 digits. Accepts spaces, dashes, dots,
/// parentheses and the prefixes 86, +86 and 0086.
pub fn mobile(input: &str) -> Result<String, String> {
    let mut digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{3000}')).collect();
    if let Some(rest) = digits.strip_prefix('+') {
        digits = rest.to_owned();
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("`{input}` is not a phone number"));
    }
    let national = if digits.len() == 15 && digits.starts_with("0086") {
        &digits[4..]
    } else if digits.len() == 13 && digits.starts_with("86") {
        &digits[2..]
    } else {
        digits.as_str()
    };
    let valid = national.len() == 11 && national.starts_with('1') && matches!(national.as_bytes()[1], b'3'..=b'9');
    if valid {
        Ok(format!("+86{national}"))
    } else {
        Err(format!("`{input}` is not a Chinese mobile number (11 digits starting 13-19)"))
    }
}

/// A plate upper-cased without spaces, dashes or the middle dot: 浙a·12345 → 浙A12345.
pub fn plate(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '•' | '・' | '.' | '-'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// A VIN trimmed and upper-cased.
pub fn vin(input: &str) -> String {
    input.trim().to_ascii_uppercase()
}

const VIN_WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

fn vin_value(c: char) -> Option<u32> {
    Some(match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A' | 'J' => 1,
        'B' | 'K' | 'S' => 2,
        'C' | 'L' | 'T' => 3,
        'D' | 'M' | 'U' => 4,
        'E' | 'N' | 'V' => 5,
        'F' | 'W' => 6,
        'G' | 'P' | 'X' => 7,
        'H' | 'Y' => 8,
        'R' | 'Z' => 9,
        _ => return None,
    })
}

/// The check digit (position 9) of a VIN, per ISO 3779 / GB 16735; `None` if a character
/// is not allowed (I, O, Q, or not alphanumeric).
pub fn vin_check_digit(vin: &str) -> Option<char> {
    let chars: Vec<char> = vin.chars().collect();
    if chars.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (i, c) in chars.iter().enumerate() {
        sum += vin_value(*c)? * VIN_WEIGHTS[i];
    }
    let rem = sum % 11;
    Some(if rem == 10 { 'X' } else { char::from_digit(rem, 10).expect("digit") })
}

pub fn vin_is_valid(vin: &str) -> bool {
    vin_check_digit(vin).is_some_and(|c| vin.chars().nth(8) == Some(c))
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character of an 18-digit national ID from its first 17 digits.
pub fn national_id_check(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17.chars().zip(ID_WEIGHTS).map(|(c, w)| (c as u32 - '0' as u32) * w).sum();
    Some(ID_CHECK[(sum % 11) as usize])
}

/// An 18-digit national ID upper-cased and checked by its checksum.
pub fn national_id(input: &str) -> Result<String, String> {
    let id: String = input.trim().to_ascii_uppercase();
    if id.len() == 18 && national_id_check(&id[..17]) == id.chars().last() {
        Ok(id)
    } else {
        Err(format!("`{input}` is not a valid 18-digit national ID"))
    }
}

/// SHA-256 (hex) of a normalized identifier, for matching without reading it.
pub fn id_hash(normalized: &str) -> String {
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_in_every_typed_form_normalize_alike() {
        for typed in ["13800138000", "138-0013-8000", "+86 138 0013 8000", "008613800138000", "8613800138000"] {
            assert_eq!(mobile(typed).as_deref(), Ok("+8613800138000"), "{typed}");
        }
        assert!(mobile("12345").is_err());
        assert!(mobile("1280013800a").is_err());
    }

    #[test]
    fn plates_fold_case_and_separators() {
        assert_eq!(plate("浙A·12345"), "浙A12345");
        assert_eq!(plate("浙a 12345"), "浙A12345");
    }

    #[test]
    fn vin_check_digit_matches_known_vin() {
        assert!(vin_is_valid("1M8GDM9AXKP042788"));
        assert!(!vin_is_valid("1M8GDM9A1KP042788"));
    }

    #[test]
    fn national_id_checksum() {
        assert_eq!(national_id("11010519491231002x").as_deref(), Ok("11010519491231002X"));
        assert!(national_id("110105194912310021").is_err());
    }
}
