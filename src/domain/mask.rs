//! Masking of personal data for display: the shape stays recognisable, the value does not.

/// `+8613812345678` → `138****5678`; other numbers keep their first 3 and last 4 digits.
/// A name with only its first character (the family name of most Chinese names).
pub fn name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).take(8).collect(),
        None => String::new(),
    }
}

pub fn phone(normalized: &str) -> String {
    let digits: Vec<char> = normalized.trim_start_matches("+86").chars().collect();
    if digits.len() < 8 {
        return "****".into();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// `330102199001011234` → `330102********1234`.
pub fn id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// Keeps the first six characters (province and city), hides the rest.
pub fn address(address: &str) -> String {
    let head: String = address.chars().take(6).collect();
    format!("{head}****")
}

/// Keeps the year only: `1990-**-**`.
pub fn birthday(date: chrono::NaiveDate) -> String {
    format!("{}-**-**", date.format("%Y"))
}

/// `someone@example.cn` → `so***@example.cn`; a WeChat id keeps its first 3 characters.
pub fn handle(value: &str) -> String {
    match value.split_once('@') {
        Some((user, domain)) => format!("{}***@{domain}", user.chars().take(2).collect::<String>()),
        None => format!("{}***", value.chars().take(3).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_shape_not_value() {
        assert_eq!(phone("+8613812345678"), "138****5678");
        assert_eq!(name("王小明"), "王**");
        assert_eq!(name(""), "");
        assert_eq!(id_number("330102199001011234"), "330102********1234");
        assert_eq!(address("浙江省杭州市文三路1号"), "浙江省杭州市****");
        assert_eq!(birthday(chrono::NaiveDate::from_ymd_opt(1990, 3, 5).unwrap()), "1990-**-**");
        assert_eq!(handle("someone@example.cn"), "so***@example.cn");
        assert_eq!(handle("wx_abcdef"), "wx_***");
    }
}
