//! Normalizing what people and source systems type: phones, plates, VINs, ID numbers.

use sha2::{Digest, Sha256};

/// A Chinese mobile number as `+86` and 11 digits. Accepts full-width digits, spaces,
/// dashes, dots, parentheses and the prefixes 86, +86 and 0086.
pub fn mobile(input: &str) -> Result<String, String> {
    let folded = fold_width(input);
    let digits = folded.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'));
    let digits: String = digits.collect();
    let digits = digits.strip_prefix('+').unwrap_or(&digits);
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("`{input}` is not a phone number"));
    }
    // ASCII digits only from here: every character is one byte.
    let national = if digits.len() == 15 {
        digits.strip_prefix("0086")
    } else if digits.len() == 13 {
        digits.strip_prefix("86")
    } else {
        None
    }
    .unwrap_or(digits);
    let valid = national.len() == 11
        && national.starts_with('1')
        && national.as_bytes().get(1).is_some_and(|d| (b'3'..=b'9').contains(d));
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
    for (c, weight) in chars.iter().zip(VIN_WEIGHTS) {
        sum += vin_value(*c)? * weight;
    }
    let rem = sum % 11;
    if rem == 10 { Some('X') } else { char::from_digit(rem, 10) }
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
    let sum: u32 = first17.chars().zip(ID_WEIGHTS).filter_map(|(c, w)| c.to_digit(10).map(|d| d * w)).sum();
    ID_CHECK.get((sum % 11) as usize).copied()
}

/// A national ID as 18 characters, upper-cased and checked by its checksum and birth
/// date; a legacy 15-digit ID is converted (century 19 inserted, check digit added).
pub fn national_id(input: &str) -> Result<String, String> {
    let raw: String = fold_width(input).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let invalid = || format!("`{input}` is not a valid national ID (18 digits with a matching check digit)");
    // Only ASCII can be an ID; past this check every character is one byte, so the
    // positions below are character positions.
    if !raw.is_ascii() {
        return Err(invalid());
    }
    let id = match (raw.len(), raw.get(..6), raw.get(6..)) {
        (15, Some(area), Some(rest)) if raw.chars().all(|c| c.is_ascii_digit()) => {
            let first17 = format!("{area}19{rest}");
            let check = national_id_check(&first17).ok_or_else(invalid)?;
            format!("{first17}{check}")
        }
        _ => raw,
    };
    let (Some(first17), Some(last)) = (id.get(..17), id.get(17..)) else { return Err(invalid()) };
    if id.len() != 18 || national_id_check(first17).map(String::from).as_deref() != Some(last) {
        return Err(invalid());
    }
    let born = id.get(6..14).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y%m%d").ok());
    if born.is_none() {
        return Err(format!("`{input}` has no valid birth date"));
    }
    Ok(id)
}

const USCC_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A unified social credit code (companies): 18 characters checked by GB 32100.
pub fn credit_code(input: &str) -> Result<String, String> {
    let code: String =
        fold_width(input).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let values: Option<Vec<u32>> = code.chars().map(|c| USCC_CHARS.find(c).map(|i| i as u32)).collect();
    let valid = values.as_deref().is_some_and(|v| match v.split_last() {
        Some((check, first17)) if v.len() == 18 => {
            let sum: u32 = first17.iter().zip(USCC_WEIGHTS).map(|(a, w)| a * w).sum();
            (31 - sum % 31) % 31 == *check
        }
        _ => false,
    });
    if valid { Ok(code) } else { Err(format!("`{input}` is not a valid unified social credit code")) }
}

/// A phone number: mobiles as `+86` and 11 digits, landlines as `0571-88886666`.
pub fn phone(input: &str) -> Result<String, String> {
    if let Ok(mobile) = mobile(input) {
        return Ok(mobile);
    }
    let folded = fold_width(input);
    let neither = || format!("`{input}` is neither a mobile number nor a landline with its area code");
    if !folded.chars().all(|c| c.is_ascii_digit() || " -+()（）.".contains(c)) {
        return Err(format!("`{input}` is not a phone number"));
    }
    let typed: String = folded.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    if typed.is_empty() {
        return Err(format!("`{input}` is not a phone number"));
    }
    let digits = match typed.strip_prefix("+86").or_else(|| typed.strip_prefix("0086")) {
        Some(rest) => format!("0{rest}"),
        None => typed,
    };
    // ASCII digits only from here: every character is one byte.
    if !digits.chars().all(|c| c.is_ascii_digit()) || !digits.starts_with('0') || digits.starts_with("00") {
        return Err(neither());
    }
    let area_len = if digits.starts_with("010") || digits.starts_with("02") { 3 } else { 4 };
    match (digits.get(..area_len), digits.get(area_len..)) {
        (Some(area), Some(local)) if (7..=8).contains(&local.len()) && !local.starts_with('0') => {
            Ok(format!("{area}-{local}"))
        }
        _ => Err(neither()),
    }
}

/// A VIN: upper-cased without spaces, 17 characters of A–Z and 0–9 except I, O and Q.
pub fn vin_strict(input: &str) -> Result<String, String> {
    let vin: String = fold_width(input).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    if vin.len() == 17 && vin.chars().all(|c| c.is_ascii_alphanumeric() && !matches!(c, 'I' | 'O' | 'Q')) {
        Ok(vin)
    } else {
        Err(format!("`{input}` is not a VIN (17 characters, no I, O or Q)"))
    }
}

/// Full-width ASCII (Ａ１，) folded to half-width, the ideographic space to a space.
pub fn fold_width(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            other => other,
        })
        .collect()
}

/// A person's or company's name: trimmed, full-width folded, inner spaces collapsed.
pub fn name(input: &str) -> Result<String, String> {
    let folded = fold_width(input);
    let name = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        Err("the name is empty".into())
    } else if name.chars().count() > 100 {
        Err("the name is longer than 100 characters".into())
    } else {
        Ok(name)
    }
}

/// A date as dealer systems export it: 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305.
pub fn date(input: &str) -> Result<chrono::NaiveDate, String> {
    let text = fold_width(input).trim().replace(['年', '月', '/', '.'], "-").replace('日', "");
    let text = text.split_whitespace().next().unwrap_or("").to_owned();
    let parsed = if text.len() == 8 && text.chars().all(|c| c.is_ascii_digit()) {
        chrono::NaiveDate::parse_from_str(&text, "%Y%m%d")
    } else {
        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
    };
    parsed.map_err(|_| format!("`{input}` is not a date (2024-03-05, 2024/3/5 or 2024年3月5日)"))
}

/// A date and time (a time of day is optional; China time, stored in UTC).
pub fn datetime(input: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let folded = fold_width(input);
    let mut parts = folded.trim().splitn(2, [' ', 'T']);
    let day = date(parts.next().unwrap_or(""))?;
    let time = match parts.next().map(str::trim).filter(|t| !t.is_empty()) {
        None => chrono::NaiveTime::MIN,
        Some(t) => chrono::NaiveTime::parse_from_str(t, "%H:%M:%S")
            .or_else(|_| chrono::NaiveTime::parse_from_str(t, "%H:%M"))
            .map_err(|_| format!("`{input}` has no valid time of day"))?,
    };
    day.and_time(time)
        .and_local_timezone(super::time::shanghai())
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| format!("`{input}` is not a valid time"))
}

/// An amount in yuan (`12,800.00`, `¥12800`, `12800元`) as integer fen.
pub fn amount_cents(input: &str) -> Result<i64, String> {
    let text: String =
        fold_width(input).chars().filter(|c| !matches!(c, ',' | '，' | '¥' | '￥' | '元' | ' ')).collect();
    let bad = || format!("`{input}` is not an amount (e.g. 12,800.00)");
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)
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
    fn landlines_keep_their_area_code() {
        assert_eq!(phone("0571-88886666").as_deref(), Ok("0571-88886666"));
        assert_eq!(phone("(010)12345678").as_deref(), Ok("010-12345678"));
        assert_eq!(phone("+86 21 6666 8888").as_deref(), Ok("021-66668888"));
        assert_eq!(phone("138 0013 8000").as_deref(), Ok("+8613800138000"));
        assert!(phone("12345").is_err());
        assert!(phone("call me").is_err());
    }

    #[test]
    fn legacy_ids_are_converted_and_bad_ones_refused() {
        assert_eq!(national_id("110105491231002").as_deref(), Ok("11010519491231002X"));
        assert!(national_id("110105194913310021").is_err(), "month 13");
        assert!(national_id("11010519491231002").is_err(), "17 digits");
    }

    #[test]
    fn credit_codes_are_checked() {
        assert_eq!(credit_code("91350100M000100Y43").as_deref(), Ok("91350100M000100Y43"));
        assert!(credit_code("91350100M000100Y44").is_err());
    }

    #[test]
    fn vins_names_dates_and_amounts() {
        assert_eq!(vin_strict(" lsvab2bm0r000 0001").as_deref(), Ok("LSVAB2BM0R0000001"));
        assert!(vin_strict("LSVAB2BM0R000000I").is_err());
        assert!(vin_strict("LSVAB2BM0R00001").is_err());
        assert_eq!(name("  王　伟 ").as_deref(), Ok("王 伟"));
        assert_eq!(name("ＡＢＣ汽车").as_deref(), Ok("ABC汽车"));
        let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        for form in ["2024-03-05", "2024/3/5", "2024年3月5日", "2024.3.5", "20240305", "2024-03-05 10:00"] {
            assert_eq!(date(form), Ok(d), "{form}");
        }
        assert!(date("2024-02-30").is_err());
        assert_eq!(datetime("2024/3/5 08:30").unwrap().to_rfc3339(), "2024-03-05T00:30:00+00:00");
        assert_eq!(amount_cents("12,800.00"), Ok(1_280_000));
        assert_eq!(amount_cents("¥12800"), Ok(1_280_000));
        assert_eq!(amount_cents("99.5"), Ok(9_950));
        assert!(amount_cents("12.345").is_err());
        assert!(amount_cents("-5").is_err());
    }

    #[test]
    fn national_id_checksum() {
        assert_eq!(national_id("11010519491231002x").as_deref(), Ok("11010519491231002X"));
        assert!(national_id("110105194912310021").is_err());
    }
}

/// Text as people and source systems might send it, for the property tests of every
/// normaliser and matcher.
#[cfg(test)]
pub(crate) mod arbitrary {
    use proptest::prelude::*;

    /// One character of what gets typed: digits, CJK, X, separators, full-width forms,
    /// letters, and anything at all now and then.
    fn typed() -> impl Strategy<Value = char> {
        prop_oneof![
            5 => proptest::char::range('0', '9'),
            3 => proptest::char::range('\u{4E00}', '\u{9FFF}'),
            1 => prop::sample::select(vec!['X', 'x', '先', '生', '女', '士', '总', '公', '司']),
            2 => prop::sample::select(vec![
                ' ', '-', '.', '/', '+', '(', ')', ',', ':', 'T', '·', '年', '月', '日', '¥', '元', '，', '（', '）',
                '\u{3000}', '\t', '%', '_', '\\', '；', ';', '|', '*', '×',
            ]),
            1 => proptest::char::range('\u{FF01}', '\u{FF5E}'),
            1 => proptest::char::range('A', 'Z'),
            1 => any::<char>(),
        ]
    }

    fn string_of(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
        prop::collection::vec(typed(), len).prop_map(|chars| chars.into_iter().collect())
    }

    /// A character of two, three or four bytes: Latin, CJK, full-width, emoji.
    fn wide() -> impl Strategy<Value = char> {
        prop_oneof![
            proptest::char::range('\u{A1}', '\u{7FF}'),
            proptest::char::range('\u{4E00}', '\u{9FFF}'),
            proptest::char::range('\u{FF01}', '\u{FF5E}'),
            proptest::char::range('\u{1F300}', '\u{1F5FF}'),
        ]
    }

    /// Text of exactly as many bytes as IDs, phones and dates have (11, 15, 17, 18, ...),
    /// digits mixed with multi-byte characters: how a byte index computed from a length
    /// lands inside a character.
    fn id_sized() -> impl Strategy<Value = String> {
        let chars = prop::collection::vec(
            prop_oneof![6 => proptest::char::range('0', '9'), 1 => Just('X'), 3 => wide()],
            1..20,
        );
        let bytes = prop::sample::select(vec![8_usize, 11, 13, 14, 15, 17, 18, 19, 20]);
        (chars, bytes).prop_map(|(chars, bytes)| {
            let mut text = String::new();
            for c in chars {
                if text.len() + c.len_utf8() <= bytes {
                    text.push(c);
                }
            }
            while text.len() < bytes {
                text.push('1');
            }
            text
        })
    }

    /// Arbitrary Unicode, text biased to what gets typed into ID, phone and date fields,
    /// digit runs with a multi-byte character inside, and now and then very long text.
    pub fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => any::<String>(),
            6 => string_of(0..24),
            4 => id_sized(),
            1 => (string_of(1..16), 10..300_usize).prop_map(|(piece, times)| piece.repeat(times)),
        ]
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::arbitrary::text;
    use super::*;

    fn is_mobile(p: &str) -> bool {
        p.strip_prefix("+86").is_some_and(|n| n.len() == 11 && n.chars().all(|c| c.is_ascii_digit()))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn phones_normalise_to_digits_or_refuse(s in text()) {
            if let Ok(m) = mobile(&s) {
                prop_assert!(is_mobile(&m), "{m}");
                prop_assert_eq!(mobile(&m), Ok(m.clone()));
            }
            if let Ok(p) = phone(&s) {
                let landline = p.split_once('-').is_some_and(|(area, local)| {
                    area.starts_with('0')
                        && (3..=4).contains(&area.len())
                        && (7..=8).contains(&local.len())
                        && format!("{area}{local}").chars().all(|c| c.is_ascii_digit())
                });
                prop_assert!(is_mobile(&p) || landline, "{p}");
                prop_assert_eq!(phone(&p), Ok(p.clone()));
            }
        }

        #[test]
        fn ids_and_codes_are_ascii_and_stable(s in text()) {
            if let Ok(id) = national_id(&s) {
                prop_assert!(id.len() == 18 && id.is_ascii(), "{id}");
                prop_assert_eq!(national_id(&id), Ok(id.clone()));
            }
            let _ = national_id_check(&s);
            if let Ok(code) = credit_code(&s) {
                prop_assert!(code.len() == 18 && code.is_ascii(), "{code}");
                prop_assert_eq!(credit_code(&code), Ok(code.clone()));
            }
            let hash = id_hash(&s);
            prop_assert_eq!(hash.len(), 64);
            prop_assert_eq!(id_hash(&s), hash);
        }

        #[test]
        fn vins_and_plates(s in text()) {
            if let Ok(v) = vin_strict(&s) {
                prop_assert!(v.len() == 17 && v.chars().all(|c| c.is_ascii_alphanumeric()), "{v}");
            }
            if let Some(c) = vin_check_digit(&s) {
                prop_assert!(c == 'X' || c.is_ascii_digit());
            }
            let _ = vin_is_valid(&s);
            let _ = vin(&s);
            prop_assert!(!plate(&s).chars().any(char::is_whitespace));
        }

        #[test]
        fn names_dates_and_amounts(s in text()) {
            prop_assert_eq!(fold_width(&s).chars().count(), s.chars().count());
            if let Ok(n) = name(&s) {
                prop_assert!(!n.is_empty() && n.chars().count() <= 100 && n.trim() == n);
            }
            let _ = date(&s);
            let _ = datetime(&s);
            if let Ok(cents) = amount_cents(&s) {
                prop_assert!(cents >= 0);
            }
        }
    }

    #[test]
    fn the_examples_of_the_issue_are_refused_not_panicked_on() {
        for text in
            ["杭州新客科技", "上海大众汽车", "1234567890123456杭", "12345678901234567杭", "99999999999999999999"]
        {
            assert!(national_id(text).is_err(), "{text}");
            assert!(credit_code(text).is_err(), "{text}");
            assert!(mobile(text).is_err(), "{text}");
            assert!(phone(text).is_err(), "{text}");
        }
        assert!(amount_cents("99999999999999999999").is_err());
        assert!(datetime("-262143-01-01 00:00").is_err());
        assert!(datetime("+262142-12-31 23:59").is_ok() || datetime("+262142-12-31 23:59").is_err());
        assert_eq!(mobile("１３８００１３８０００").as_deref(), Ok("+8613800138000"));
    }
}
