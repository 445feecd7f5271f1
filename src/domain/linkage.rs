//! Probabilistic record linkage in the manner of Fellegi and Sunter (as Splink does).
//!
//! An incoming record is compared with each customer the blocking keys found (same
//! phone, VIN, national ID or credit code; a VIN holder whose phone is one digit away)
//! on every field both have. Each field's agreement falls into a level ("same",
//! "sounds alike", "one digit apart", "different", …); each level carries a weight,
//! log2(m / u), where m is how often true pairs of records of one person show that
//! level and u how often two records of different people do. The weights add up, with
//! the prior odds of two records being one person, to the match score in bits: the
//! pair is 2^score times likelier to be one person than two.
//!
//! The m and u values below were estimated from generated records with a known truth
//! (`BENCH_ESTIMATE=1 cargo bench --bench unification` prints them anew), not guessed.
//! Two levels weigh nothing by decision: a missing field, and a VIN the customer does
//! not hold (people own more cars than one; the generated people own one each, which
//! would have taught the model that another car means another person).

use std::sync::OnceLock;

use pinyin::ToPinyin;

use super::identity::{self, Person};
use super::mask;

/// The fields compared, in the order of a [`Comparison`].
pub const PHONE: usize = 0;
pub const VIN: usize = 1;
pub const ID: usize = 2;
pub const NAME: usize = 3;
pub const ADDRESS: usize = 4;

/// Each field's name and its levels, best agreement first.
pub const FIELDS: [(&str, &[&str]); 5] = [
    ("phone", &["same", "one digit apart", "different", "missing"]),
    ("VIN", &["same", "not shared"]),
    ("ID", &["same", "different", "missing"]),
    ("name", &["same", "sounds alike", "one character apart", "surname only", "same surname", "different"]),
    ("address", &["same", "different", "missing"]),
];

/// Levels of agreement (indices into [`FIELDS`]).
pub mod level {
    pub const SAME: u8 = 0;
    pub const PHONE_ONE_DIGIT: u8 = 1;
    pub const PHONE_DIFFERENT: u8 = 2;
    pub const PHONE_MISSING: u8 = 3;
    pub const VIN_NOT_SHARED: u8 = 1;
    pub const DIFFERENT: u8 = 1;
    pub const MISSING: u8 = 2;
    pub const NAME_SOUNDS_ALIKE: u8 = 1;
    pub const NAME_ONE_CHARACTER: u8 = 2;
    pub const NAME_SURNAME_ONLY: u8 = 3;
    pub const NAME_SAME_SURNAME: u8 = 4;
    pub const NAME_DIFFERENT: u8 = 5;
}

/// The levels of agreement of one record with one customer (or another record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Comparison(pub [u8; 5]);

/// What is known of a customer found by blocking.
#[derive(Debug, Clone, Default)]
pub struct Known<'a> {
    pub name: &'a str,
    pub corporate: bool,
    pub id_number: Option<&'a str>,
    pub phones: Vec<&'a str>,
    /// Currently holds the record's VIN.
    pub holds_vin: bool,
    pub address: Option<&'a str>,
}

/// The pinyin of a name, syllable by syllable (characters without one stay as they are).
fn sounds(name: &str) -> Vec<String> {
    name.chars()
        .zip(name.to_pinyin())
        .map(|(c, p)| p.map(|p| p.plain().to_owned()).unwrap_or_else(|| c.to_string()))
        .collect()
}

/// How two names agree (see `FIELDS[NAME]`). Names are compared in their comparable
/// form: simplified characters, no spaces, no form of address, companies by their core.
pub fn name_level(a: &str, b: &str, corporate: bool) -> u8 {
    let (x, y) = (identity::comparable(a), identity::comparable(b));
    if x == y && !x.is_empty() {
        return level::SAME;
    }
    if corporate || x.is_empty() || y.is_empty() {
        return level::NAME_DIFFERENT;
    }
    let (cx, cy): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
    if cx.len() == cy.len() && sounds(&x) == sounds(&y) {
        level::NAME_SOUNDS_ALIKE
    } else if identity::surname_of(&x, &y) {
        level::NAME_SURNAME_ONLY
    } else if identity::similar(&x, &y) {
        level::NAME_ONE_CHARACTER
    } else if cx.len() >= 2 && cy.len() >= 2 && cx.first() == cy.first() {
        level::NAME_SAME_SURNAME
    } else {
        level::NAME_DIFFERENT
    }
}

/// Compares an incoming `person` (with the record's `vin`) with a known customer.
pub fn compare(person: &Person, vin: Option<&str>, known: &Known<'_>) -> Comparison {
    let phone = if person.phones.is_empty() || known.phones.is_empty() {
        level::PHONE_MISSING
    } else if person.phones.iter().any(|p| known.phones.contains(&p.as_str())) {
        level::SAME
    } else if person.phones.iter().any(|p| known.phones.iter().any(|k| identity::one_digit_apart(p, k))) {
        level::PHONE_ONE_DIGIT
    } else {
        level::PHONE_DIFFERENT
    };
    let vin = if vin.is_some() && known.holds_vin { level::SAME } else { level::VIN_NOT_SHARED };
    let id = match (person.id_number.as_deref(), known.id_number) {
        (Some(a), Some(b)) if a == b => level::SAME,
        (Some(_), Some(_)) => level::DIFFERENT,
        _ => level::MISSING,
    };
    let name = name_level(known.name, &person.name, person.corporate || known.corporate);
    let address = match (person.address.as_deref().map(str::trim), known.address.map(str::trim)) {
        (Some(a), Some(b)) if !a.is_empty() && !b.is_empty() => {
            if a == b {
                level::SAME
            } else {
                level::DIFFERENT
            }
        }
        _ => level::MISSING,
    };
    Comparison([phone, vin, id, name, address])
}

/// m and u probabilities of every level of every field, and the prior probability
/// that two records compared are of one person.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub prior: f64,
    pub m: [&'static [f64]; 5],
    pub u: [&'static [f64]; 5],
}

/// Estimated from the generated exports (tidy and messy sets, 3,000 people each,
/// seed 7) by `BENCH_ESTIMATE=1 cargo bench --bench unification`.
pub const ESTIMATED: Model = Model {
    prior: 2.5684e-4,
    m: [
        &[5.6561e-1, 2.5793e-2, 1.0253e-2, 3.9834e-1],
        &[5.9821e-1, 4.0179e-1],
        &[8.5165e-2, 8.6524e-6, 9.1483e-1],
        &[8.2671e-1, 2.0064e-2, 4.4386e-3, 1.4872e-1, 2.5956e-5, 4.3261e-5],
        &[3.7620e-2, 1.2960e-7, 9.6238e-1],
    ],
    u: [
        &[2.3976e-5, 8.8000e-5, 6.4694e-1, 3.5295e-1],
        &[9.0722e-7, 1.0000e0],
        &[1.2960e-7, 1.2712e-1, 8.7288e-1],
        &[1.4672e-3, 1.1237e-4, 8.1213e-3, 4.3213e-3, 1.6181e-2, 9.6980e-1],
        &[3.7620e-2, 1.2960e-7, 9.6238e-1],
    ],
};

/// Whether a level weighs nothing by decision (see the module's notes).
pub fn neutral(field: usize, lvl: u8) -> bool {
    matches!(
        (field, lvl),
        (PHONE, level::PHONE_MISSING) | (VIN, level::VIN_NOT_SHARED) | (ID | ADDRESS, level::MISSING)
    )
}

impl Model {
    /// The weight of a level: log2(m / u), in bits.
    pub fn weight(&self, field: usize, lvl: u8) -> f64 {
        if neutral(field, lvl) {
            return 0.0;
        }
        let i = usize::from(lvl);
        match (self.m[field].get(i), self.u[field].get(i)) {
            (Some(m), Some(u)) if *m > 0.0 && *u > 0.0 => (m / u).log2(),
            _ => 0.0,
        }
    }

    /// The prior log-odds of a pair being one person, in bits.
    pub fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }

    /// The match score of a comparison: the prior and every level's weight, in bits.
    pub fn score(&self, c: &Comparison) -> f64 {
        self.prior_weight() + c.0.iter().enumerate().map(|(field, lvl)| self.weight(field, *lvl)).sum::<f64>()
    }
}

/// The probability, 0 to 100, that a score in bits means one person.
pub fn percent(score: f64) -> i32 {
    let p = 1.0 / (1.0 + (-score).exp2());
    (p * 100.0).round().clamp(0.0, 100.0) as i32
}

/// The thresholds: at or above `accept` bits a record is the customer's; at or above
/// `review` the pair goes to the duplicate queue; below, they stay apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub accept: f64,
    pub review: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { accept: 6.0, review: 0.0 }
    }
}

static THRESHOLDS: OnceLock<Thresholds> = OnceLock::new();

/// Sets the process's thresholds once, at start-up (`--match-threshold`,
/// `--review-threshold`); later calls change nothing.
pub fn configure(thresholds: Thresholds) {
    let _ = THRESHOLDS.set(thresholds);
}

/// The thresholds in force.
pub fn thresholds() -> Thresholds {
    THRESHOLDS.get().copied().unwrap_or_default()
}

/// The evidence of a comparison, field by field, for people to read: what each side
/// holds, the level, and its weight.
pub fn evidence(model: &Model, person: &Person, vin: Option<&str>, known: &Known<'_>, c: &Comparison) -> Vec<String> {
    let mut lines = Vec::with_capacity(6);
    for (field, lvl) in c.0.iter().enumerate() {
        let (label, levels) = FIELDS[field];
        let label = if field == ID && (person.corporate || known.corporate) { "credit code" } else { label };
        let label = if field == ID && label == "ID" { "national ID" } else { label };
        let said = levels.get(usize::from(*lvl)).copied().unwrap_or("?");
        let detail = match field {
            PHONE => shared_phone(person, known).map(|p| format!(" {p}")).unwrap_or_default(),
            VIN if *lvl == level::SAME => vin.map(|v| format!(" {v}")).unwrap_or_default(),
            NAME => format!(" ({} / {})", known.name, person.name),
            _ => String::new(),
        };
        lines.push(format!("{label}{detail} {said} ({:+.1})", model.weight(field, *lvl)));
    }
    lines.push(format!("prior ({:+.1})", model.prior_weight()));
    lines
}

/// The phone the comparison is about, masked: the shared one, else the record's.
fn shared_phone(person: &Person, known: &Known<'_>) -> Option<String> {
    let shared = person.phones.iter().find(|p| known.phones.contains(&p.as_str()));
    shared.or(person.phones.first()).map(|p| mask::phone(p))
}

/// Fewer true pairs than this compared on a field (both holding it) leave it unweighed.
pub const MIN_COMPARED: u64 = 100;

/// Counts of levels among true pairs (m) and among pairs of different people (u), from
/// records whose truth is known: what [`ESTIMATED`] was made from.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    m: [[u64; 6]; 5],
    u: [[u64; 6]; 5],
    /// Pairs of records of one person, and all pairs, for the prior.
    pub true_pairs: u64,
    pub all_pairs: u64,
}

impl Tally {
    /// Counts one compared pair, of one person (`same`) or two.
    pub fn add(&mut self, c: &Comparison, same: bool) {
        let counts = if same { &mut self.m } else { &mut self.u };
        for (field, lvl) in c.0.iter().enumerate() {
            if let Some(n) = counts[field].get_mut(usize::from(*lvl)) {
                *n += 1;
            }
        }
    }

    /// The probabilities per level (add-half smoothing, so no level is impossible). A
    /// field compared on fewer than [`MIN_COMPARED`] true pairs (both sides holding it)
    /// cannot be weighed: its m is set to its u, which weighs nothing.
    pub fn probabilities(&self) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let probs = |counts: &[[u64; 6]; 5]| -> Vec<Vec<f64>> {
            FIELDS
                .iter()
                .enumerate()
                .map(|(field, (_, levels))| {
                    let row = &counts[field][..levels.len()];
                    let total = row.iter().sum::<u64>() as f64 + 0.5 * levels.len() as f64;
                    row.iter().map(|n| (*n as f64 + 0.5) / total).collect()
                })
                .collect()
        };
        let (mut m, u) = (probs(&self.m), probs(&self.u));
        for (field, (_, levels)) in FIELDS.iter().enumerate() {
            let compared: u64 = (0..levels.len()).filter(|l| !neutral(field, *l as u8)).map(|l| self.m[field][l]).sum();
            if compared < MIN_COMPARED {
                m[field] = u[field].clone();
            }
        }
        (m, u)
    }

    /// The estimate as the Rust text of [`ESTIMATED`], with a table of the weights.
    pub fn report(&self) -> String {
        let (m, u) = self.probabilities();
        let prior = self.true_pairs as f64 / self.all_pairs.max(1) as f64;
        let mut out = String::new();
        out.push_str("field        level                  m          u          weight\n");
        for (field, (name, levels)) in FIELDS.iter().enumerate() {
            for (i, lvl) in levels.iter().enumerate() {
                let w = if neutral(field, i as u8) { 0.0 } else { (m[field][i] / u[field][i]).log2() };
                out.push_str(&format!("{name:<12} {lvl:<20} {:>10.6} {:>10.6} {w:>+9.2}\n", m[field][i], u[field][i]));
            }
        }
        out.push_str(&format!("prior {prior:.8} ({:+.2} bits)\n\n", (prior / (1.0 - prior)).log2()));
        let rows = |p: &[Vec<f64>]| {
            p.iter()
                .map(|row| {
                    let cells: Vec<String> = row.iter().map(|x| format!("{x:.4e}")).collect();
                    format!("        &[{}],\n", cells.join(", "))
                })
                .collect::<String>()
        };
        out.push_str(&format!(
            "pub const ESTIMATED: Model = Model {{\n    prior: {prior:.4e},\n    m: [\n{}    ],\n    u: [\n{}    ],\n}};\n",
            rows(&m),
            rows(&u)
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_compared_by_sound_and_by_surname() {
        assert_eq!(name_level("王伟", "王 伟先生", false), level::SAME);
        assert_eq!(name_level("王伟", "王玮", false), level::NAME_SOUNDS_ALIKE);
        assert_eq!(name_level("陈丽", "陳莉", false), level::NAME_SOUNDS_ALIKE);
        assert_eq!(name_level("王伟", "王", false), level::NAME_SURNAME_ONLY);
        assert_eq!(name_level("王伟", "王先生", false), level::NAME_SURNAME_ONLY);
        assert_eq!(name_level("王伟", "王纬", false), level::NAME_SOUNDS_ALIKE);
        assert_eq!(name_level("王伟", "王强", false), level::NAME_ONE_CHARACTER);
        assert_eq!(name_level("王伟", "王建国", false), level::NAME_SAME_SURNAME);
        assert_eq!(name_level("王伟", "李伟", false), level::NAME_DIFFERENT);
        assert_eq!(name_level("杭州顺达物流有限公司", "顺达物流杭州分公司", true), level::SAME);
        assert_eq!(name_level("顺达物流", "鑫达物流", true), level::NAME_DIFFERENT);
    }

    #[test]
    fn agreement_weighs_for_and_disagreement_against() {
        let m = ESTIMATED;
        assert!(m.weight(PHONE, level::SAME) > 0.0 && m.weight(PHONE, level::PHONE_DIFFERENT) < 0.0);
        assert!(m.weight(ID, level::SAME) > 0.0 && m.weight(ID, level::DIFFERENT) < 0.0);
        assert!(m.weight(NAME, level::SAME) > m.weight(NAME, level::NAME_SURNAME_ONLY));
        assert!(m.weight(NAME, level::NAME_DIFFERENT) < 0.0);
        assert_eq!(m.weight(VIN, level::VIN_NOT_SHARED), 0.0);
        assert_eq!(m.weight(ID, level::MISSING), 0.0);
        assert_eq!(percent(0.0), 50);
        assert_eq!(percent(f64::INFINITY), 100);
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::normalize::arbitrary::text;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn comparing_is_total_and_names_compare_symmetrically(a in text(), b in text(), corporate in any::<bool>()) {
            prop_assert_eq!(name_level(&a, &b, corporate), name_level(&b, &a, corporate));
            let person = Person { name: a.clone(), phones: vec![b.clone()], address: Some(b.clone()), ..Person::default() };
            let known = Known { name: &b, phones: vec![&a], ..Known::default() };
            let c = compare(&person, Some(&a), &known);
            prop_assert!(ESTIMATED.score(&c).is_finite());
            prop_assert_eq!(evidence(&ESTIMATED, &person, Some(&a), &known, &c).len(), 6);
        }
    }
}
