//! Parsing of raw records: the field parsers (enumerations, numbers, parts items), the
//! documented maximum length of each field and the length checks made before anything
//! else reads the text, and `parse`, which validates and normalizes a whole record and
//! reports every problem by field.

use entity::enums::{Gender, LeadGrade, PaymentMethod, RepairKind};
use serde_json::{Value, json};

use super::kinds::{Fact, FieldError, Incoming, Raw, RecordKind, VehicleFacts};
use crate::domain::identity::{self, Person};
use crate::domain::{limits, normalize};
use crate::error::{AppError, AppResult};

struct Fields<'a> {
    raw: &'a Raw,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    fn get(&self, field: &str) -> Option<&'a str> {
        self.raw.get(field).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn fail(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push(FieldError { field: field.into(), reason: reason.into() });
    }

    fn required(&mut self, field: &str) -> Option<&'a str> {
        let value = self.get(field);
        if value.is_none() {
            self.fail(field, "is required");
        }
        value
    }

    fn parse<T>(&mut self, field: &str, required: bool, f: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let value = if required { self.required(field)? } else { self.get(field)? };
        match f(value) {
            Ok(v) => Some(v),
            Err(reason) => {
                self.fail(field, reason);
                None
            }
        }
    }
}

fn enum_of<T: Copy>(field: &str, value: &str, options: &[(&[&str], T)]) -> Result<T, String> {
    let v = value.trim().to_uppercase();
    options
        .iter()
        .find(|(names, _)| names.iter().any(|n| n.to_uppercase() == v))
        .map(|(_, t)| *t)
        .ok_or_else(|| format!("unknown {field} `{value}`"))
}

fn gender(value: &str) -> Result<Gender, String> {
    enum_of(
        "gender",
        value,
        &[
            (&["M", "MALE", "男"], Gender::Male),
            (&["F", "FEMALE", "女"], Gender::Female),
            (&["U", "UNKNOWN", "未知"], Gender::Unknown),
        ],
    )
}

fn payment(value: &str) -> Result<PaymentMethod, String> {
    enum_of(
        "payment method",
        value,
        &[
            (&["CASH", "全款", "现金"], PaymentMethod::Cash),
            (&["LOAN", "贷款", "按揭"], PaymentMethod::Loan),
            (&["INSTALLMENT", "分期"], PaymentMethod::Installment),
        ],
    )
}

fn service_type(value: &str) -> Result<RepairKind, String> {
    enum_of(
        "service type",
        value,
        &[
            (&["FIRST_MAINTENANCE", "首保"], RepairKind::FirstMaintenance),
            (&["MAINTENANCE", "保养", "二保", "定期保养"], RepairKind::Maintenance),
            (&["REPAIR", "维修", "一般维修"], RepairKind::Repair),
            (&["WARRANTY", "索赔", "保修"], RepairKind::Warranty),
            (&["ACCIDENT", "事故", "钣喷", "事故车"], RepairKind::Accident),
            (&["INSPECTION", "检测", "年检", "年审"], RepairKind::Inspection),
        ],
    )
}

fn grade(value: &str) -> Result<LeadGrade, String> {
    enum_of(
        "grade",
        value,
        &[
            (&["O"], LeadGrade::O),
            (&["H"], LeadGrade::H),
            (&["A"], LeadGrade::A),
            (&["B"], LeadGrade::B),
            (&["C"], LeadGrade::C),
        ],
    )
}

fn whole(value: &str) -> Result<i32, String> {
    let digits: String = normalize::fold_width(value).chars().filter(|c| *c != ',').collect();
    digits.trim().parse::<i32>().ok().filter(|n| *n >= 0).ok_or_else(|| format!("`{value}` is not a whole number"))
}

/// Parts items: a JSON array, or `name x qty; name x qty` as some systems export.
fn items(value: &str) -> Result<Value, String> {
    if let Ok(parsed @ Value::Array(_)) = serde_json::from_str::<Value>(value) {
        return Ok(parsed);
    }
    let list: Vec<Value> = value
        .split([';', '；', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| match item.rsplit_once(['x', 'X', '*', '×']) {
            Some((name, qty)) if qty.trim().parse::<i32>().is_ok() => {
                json!({"name": name.trim(), "quantity": qty.trim().parse::<i32>().unwrap_or(1)})
            }
            _ => json!({"name": item, "quantity": 1}),
        })
        .collect();
    if list.is_empty() { Err("no items".into()) } else { Ok(Value::Array(list)) }
}

/// Most characters of an external id.
pub const EXTERNAL_ID: usize = 128;

/// The documented maximum length, in characters, of an ingested field (API field or CSV
/// column, snake_case): names of people, companies and staff [`limits::NAME`], the
/// address [`limits::ADDRESS`], parts items and insurance coverage [`limits::NOTE`], the
/// external id [`EXTERNAL_ID`], every other field [`limits::FIELD`].
pub fn max_length(field: &str) -> usize {
    match field {
        "customer_name" | "consultant" | "advisor" | "insurer" => limits::NAME,
        "address" => limits::ADDRESS,
        "items" | "coverage" => limits::NOTE,
        "external_id" => EXTERNAL_ID,
        _ => limits::FIELD,
    }
}

/// A field as the GraphQL input names it: `customer_name` → `customerName`.
pub fn api_name(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The fields of `raw` longer than their maximum, with that maximum. Counting stops at
/// the maximum, so a megabyte cell costs no more than a short one.
fn overlong(raw: &Raw) -> impl Iterator<Item = (&str, &str, usize)> {
    raw.iter()
        .map(|(field, value)| (field.as_str(), value.as_str(), max_length(field)))
        .filter(|(_, value, max)| value.chars().nth(*max).is_some())
}

/// The first field of any record longer than its maximum, as `BAD_USER_INPUT` naming the
/// field as the GraphQL input does; records are numbered from 1 in a batch.
pub fn check_lengths<'a>(records: impl IntoIterator<Item = &'a Raw>) -> AppResult<()> {
    let records: Vec<&Raw> = records.into_iter().collect();
    let batch = records.len() > 1;
    for (i, raw) in records.into_iter().enumerate() {
        if let Some((field, value, max)) = overlong(raw).next() {
            let field: String = api_name(field).chars().take(64).collect();
            return limits::check(&field, value, max).map_err(|e| {
                if batch { AppError::bad_input(field, format!("record {}: {}", i + 1, e.message())) } else { e }
            });
        }
    }
    Ok(())
}

/// Validates and normalizes a raw record; every problem is reported, not just the first.
/// Lengths are checked before anything else reads the text.
/// Words only a company's name holds (a person's name never does): 杭州顺达物流有限公司,
/// and the shortened 顺达物流 a parts counter types.
const COMPANY_WORDS: [&str; 14] =
    ["公司", "集团", "有限", "厂", "中心", "物流", "运输", "快运", "租赁", "出行", "商行", "车队", "货运", "客运"];

pub fn parse(kind: RecordKind, raw: &Raw) -> Result<Incoming, Vec<FieldError>> {
    let too_long: Vec<FieldError> = overlong(raw)
        .map(|(field, _, max)| FieldError {
            field: field.chars().take(64).collect(),
            reason: format!("is longer than {max} characters"),
        })
        .collect();
    if !too_long.is_empty() {
        return Err(too_long);
    }
    let mut f = Fields { raw, errors: Vec::new() };
    let store_code = f.get("store_code").map(str::to_owned);
    let external_id = f.required("external_id").map(str::to_owned);
    let name = f.parse("customer_name", true, normalize::name);
    let phones: Vec<String> = f.parse("phone", false, normalize::phone).into_iter().collect();
    let mut corporate = name.as_deref().is_some_and(|n| COMPANY_WORDS.iter().any(|s| n.contains(s)));
    // A valid national ID is a person's, even when its digits happen to pass the credit
    // code's check as well (about one in thirty do); otherwise a credit code is a company's.
    let id_number = match f.get("national_id") {
        None => None,
        Some(text) => match (normalize::national_id(text), normalize::credit_code(text)) {
            (Ok(id), _) => Some(id),
            (Err(_), Ok(code)) => {
                corporate = true;
                Some(code)
            }
            (Err(_), Err(_)) => f.parse("national_id", false, normalize::national_id),
        },
    };
    let vin_required = matches!(kind, RecordKind::Delivery | RecordKind::RepairOrder | RecordKind::InsurancePolicy);
    let vin = f.parse("vin", vin_required, normalize::vin_strict);
    let vehicle = vin.map(|vin| VehicleFacts {
        vin,
        plate: f.get("plate").map(normalize::plate),
        brand: f.get("brand").map(str::to_owned),
        model: f.get("model").map(str::to_owned),
        model_year: f.parse("model_year", false, whole),
    });
    if phones.is_empty() && id_number.is_none() && vehicle.is_none() {
        f.fail("phone", "a record needs at least a phone, an ID number or a VIN to know whose it is");
    }
    let person = Person {
        // The form of address (先生, 女士, 总) helps matching, not the golden record.
        name: name.as_deref().map(|n| identity::record_name(n, corporate)).unwrap_or_default(),
        corporate,
        phones,
        id_number,
        gender: f.parse("gender", false, gender),
        birthday: f.parse("birthday", false, normalize::date),
        address: f.get("address").map(|a| normalize::fold_width(a).trim().to_owned()),
    };
    let fact = match kind {
        RecordKind::Delivery => {
            let delivered_on = f.parse("delivery_date", true, normalize::date);
            let price = f.parse("price", true, normalize::amount_cents);
            let payment = f.parse("payment_method", false, payment).unwrap_or(PaymentMethod::Cash);
            delivered_on.zip(price).map(|(delivered_on, price_cents)| Fact::Delivery {
                delivered_on,
                price_cents,
                consultant: f.get("consultant").map(str::to_owned),
                payment,
            })
        }
        RecordKind::RepairOrder => {
            let kind = f.parse("service_type", true, service_type);
            let opened = f.parse("opened_at", true, normalize::datetime);
            let closed = f.parse("closed_at", false, normalize::datetime);
            let amount = f.parse("amount", true, normalize::amount_cents);
            let mileage = f.parse("mileage", false, whole);
            if let (Some(o), Some(c)) = (opened, closed)
                && c < o
            {
                f.fail("closed_at", "is before opened_at");
            }
            match (kind, opened, amount) {
                (Some(kind), Some(opened_at), Some(amount_cents)) => Some(Fact::RepairOrder {
                    kind,
                    mileage,
                    opened_at,
                    closed_at: closed,
                    amount_cents,
                    advisor: f.get("advisor").map(str::to_owned),
                }),
                _ => None,
            }
        }
        RecordKind::InsurancePolicy => {
            let insurer = f.required("insurer").map(str::to_owned);
            let premium = f.parse("premium", true, normalize::amount_cents);
            let start = f.parse("start_date", true, normalize::date);
            let end = f.parse("end_date", true, normalize::date);
            if let (Some(s), Some(e)) = (start, end)
                && e <= s
            {
                f.fail("end_date", "is not after start_date");
            }
            match (insurer, premium, start, end) {
                (Some(insurer), Some(premium_cents), Some(starts_on), Some(ends_on)) => Some(Fact::InsurancePolicy {
                    insurer,
                    coverage: f.get("coverage").unwrap_or("").to_owned(),
                    premium_cents,
                    starts_on,
                    ends_on,
                }),
                _ => None,
            }
        }
        RecordKind::PartsOrder => {
            let items = f.parse("items", true, items);
            let amount = f.parse("amount", true, normalize::amount_cents);
            let ordered = f.parse("ordered_at", true, normalize::date);
            match (items, amount, ordered) {
                (Some(items), Some(amount_cents), Some(ordered_on)) => {
                    Some(Fact::PartsOrder { items, amount_cents, ordered_on })
                }
                _ => None,
            }
        }
        RecordKind::Lead => {
            let grade = f.parse("grade", true, grade);
            let budget = f.parse("budget", false, normalize::amount_cents);
            let follow_up = f.parse("next_follow_up_at", false, normalize::datetime);
            grade.map(|grade| Fact::Lead {
                grade,
                intended_model: f.get("intended_model").map(str::to_owned),
                budget_cents: budget,
                channel: f.get("channel").map(str::to_owned),
                next_follow_up_at: follow_up,
            })
        }
    };
    match (f.errors.is_empty(), external_id, fact) {
        (true, Some(external_id), Some(fact)) => Ok(Incoming { kind, store_code, external_id, person, vehicle, fact }),
        _ => Err(f.errors),
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::normalize::arbitrary::text;

    const KINDS: [RecordKind; 5] = [
        RecordKind::Delivery,
        RecordKind::RepairOrder,
        RecordKind::InsurancePolicy,
        RecordKind::PartsOrder,
        RecordKind::Lead,
    ];

    /// A record of `kind` whose every column holds arbitrary text (or is missing).
    fn record() -> impl Strategy<Value = (RecordKind, Raw)> {
        prop::sample::select(KINDS.to_vec()).prop_flat_map(|kind| {
            let columns = kind.columns();
            prop::collection::vec(prop::option::of(text()), columns.len()).prop_map(move |values| {
                let raw: Raw = columns
                    .iter()
                    .zip(values)
                    .filter_map(|(column, value)| value.map(|v| ((*column).to_owned(), v)))
                    .collect();
                (kind, raw)
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_record_is_parsed_or_rejected_by_field((kind, raw) in record()) {
            match parse(kind, &raw) {
                Ok(incoming) => {
                    prop_assert!(!incoming.external_id.is_empty());
                    prop_assert!(incoming.person.phones.iter().all(|p| normalize::phone(p).as_ref() == Ok(p)));
                    prop_assert_eq!(incoming.hash(), incoming.hash());
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for e in &errors {
                        prop_assert!(e.field == "phone" || raw.contains_key(&e.field) || kind.columns().contains(&e.field.as_str()), "{:?}", e);
                    }
                }
            }
            let lengths = check_lengths([&raw]);
            prop_assert_eq!(lengths.is_ok(), raw.iter().all(|(f, v)| v.chars().count() <= max_length(f)));
        }

        #[test]
        fn field_parsers_are_total(s in text()) {
            let _ = (gender(&s), payment(&s), service_type(&s), grade(&s));
            if let Ok(n) = whole(&s) {
                prop_assert!(n >= 0);
            }
            if let Ok(list) = items(&s) {
                prop_assert!(list.is_array());
            }
            let name = api_name(&s);
            prop_assert!(!name.contains('_'));
        }
    }

    #[test]
    fn the_examples_of_the_issue_are_rejected_by_field() {
        let mut raw: Raw = [
            ("external_id", "S-1"),
            ("customer_name", "王伟"),
            ("national_id", "杭州新客科技"),
            ("vin", "LSVCA4C37RN123456"),
            ("delivery_date", "2024-03-05"),
            ("price", "99999999999999999999"),
            ("model_year", "99999999999999999999"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let errors = parse(RecordKind::Delivery, &raw).expect_err("rejected");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["national_id", "model_year", "price"]);
        raw.insert("customer_name".into(), "王".repeat(1_000_000));
        let errors = parse(RecordKind::Delivery, &raw).expect_err("rejected");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "customer_name");
        assert!(errors[0].reason.len() < 100, "the cell is not echoed");
        let err = check_lengths([&raw]).expect_err("too long");
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(matches!(&err, AppError::BadInput { field: Some(f), .. } if f == "customerName"));
    }

    #[test]
    fn honorifics_stay_out_of_the_record_name() {
        let raw: Raw =
            [("external_id", "L-1"), ("customer_name", "陈玉兰 女士"), ("phone", "13800138000"), ("grade", "H")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        assert_eq!(parse(RecordKind::Lead, &raw).expect("valid").person.name, "陈玉兰");
    }
}
