//! The generator: a seeded random number generator (the same seed gives the same group,
//! byte for byte), the ids handed out per table, the rows generated so far, and helpers
//! drawing plausible values (dates, mobile numbers, national IDs, VINs, plates).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::vehicles::ModelSpec;
use super::{DemoConfig, Rows};
use crate::domain::normalize;

pub(super) fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(hour, 0, 0).expect("valid time"))
}

pub(super) struct Generator {
    /// The last id handed out per table (the `Rows` field name).
    pub(super) ids: std::collections::HashMap<&'static str, i32>,
    pub(super) rng: ChaCha8Rng,
    /// A second stream for what shapes the KPIs (closing days, grades at creation,
    /// seasons, store differences): drawing from it leaves every other value as it was.
    pub(super) shape: ChaCha8Rng,
    pub(super) today: NaiveDate,
    pub(super) now: DateTime<Utc>,
    pub(super) rows: Rows,
    pub(super) used_phones: std::collections::HashSet<String>,
    pub(super) vin_serial: u32,
    /// A few customers the unification examples refer back to.
    pub(super) remembered: Vec<Remembered>,
    /// The partner store's account (it works the leads it accepted).
    pub(super) partner_staff: Option<i32>,
}

/// What the unification examples need of an earlier customer.
pub(super) struct Remembered {
    pub(super) id: i32,
    pub(super) name: String,
    pub(super) phone: String,
    pub(super) store: usize,
    pub(super) male: bool,
}

impl Generator {
    pub(super) fn new(cfg: &DemoConfig) -> Self {
        Generator {
            ids: Default::default(),
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            shape: ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x4b50_4953),
            today: cfg.today,
            now: at(cfg.today, 9),
            rows: Rows::default(),
            used_phones: Default::default(),
            vin_serial: 0,
            remembered: Vec::new(),
            partner_staff: None,
        }
    }

    pub(super) fn next_id(&mut self, table: &'static str) -> i32 {
        let id = self.ids.entry(table).or_insert(0);
        *id += 1;
        *id
    }

    pub(super) fn last_id(&self, table: &'static str) -> i32 {
        self.ids.get(table).copied().unwrap_or(0)
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items.choose(&mut self.rng).expect("non-empty list")
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    pub(super) fn date_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let days = (to - from).num_days().max(1);
        from + Duration::days(self.rng.gen_range(0..days))
    }

    pub(super) fn mobile(&mut self) -> String {
        const PREFIXES: &[&str] =
            &["138", "139", "137", "136", "150", "151", "158", "159", "186", "187", "188", "177", "199"];
        loop {
            let number = format!("{}{:08}", self.pick(PREFIXES), self.rng.gen_range(0..100_000_000u32));
            if self.used_phones.insert(number.clone()) {
                return number;
            }
        }
    }

    pub(super) fn national_id(&mut self, area: &str, birthday: NaiveDate, male: bool) -> String {
        let seq = self.rng.gen_range(0..50u32) * 2 + u32::from(male);
        let first17 = format!("{area}{}{:03}", birthday.format("%Y%m%d"), seq.min(999));
        let check = normalize::national_id_check(&first17).expect("17 digits");
        format!("{first17}{check}")
    }

    pub(super) fn vin(&mut self, spec: &ModelSpec, year: i32) -> String {
        const YEAR_CODES: &[(i32, char)] =
            &[(2020, 'L'), (2021, 'M'), (2022, 'N'), (2023, 'P'), (2024, 'R'), (2025, 'S'), (2026, 'T')];
        let year_code = YEAR_CODES.iter().find(|(y, _)| *y == year).map(|(_, c)| *c).unwrap_or('T');
        self.vin_serial += 1;
        let draft = format!("{}{}0{}{}{:06}", spec.wmi, spec.vds, year_code, "G", self.vin_serial);
        let check = normalize::vin_check_digit(&draft).expect("VIN alphabet");
        let mut vin: Vec<char> = draft.chars().collect();
        vin[8] = check;
        vin.into_iter().collect()
    }

    pub(super) fn plate(&mut self, prefix: &str, electric: bool) -> String {
        const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
        let mut tail = String::new();
        let len = if electric { 6 } else { 5 };
        if electric {
            tail.push(if self.chance(0.5) { 'D' } else { 'F' });
        }
        while tail.len() < len {
            if self.chance(0.2) {
                tail.push(LETTERS[self.rng.gen_range(0..LETTERS.len())] as char);
            } else {
                tail.push(char::from(b'0' + self.rng.gen_range(0..10u8)));
            }
        }
        format!("{prefix}·{tail}")
    }
}
