//! The few SQL expressions the KPI definitions need that PostgreSQL and SQLite spell
//! differently: local days in Asia/Shanghai, month and day arithmetic, today.
//!
//! Dates are `date` on PostgreSQL and ISO `YYYY-MM-DD` text on SQLite, so comparisons and
//! `MIN`/`MAX` behave alike on both. China has kept UTC+8 without daylight saving since
//! 1991, so SQLite's `+8 hours` is the Asia/Shanghai day for every date the hub holds.

use chrono::NaiveDate;
use sea_orm::{DbBackend, Value};

/// SQL text for one backend, collecting bound values as it goes.
pub struct Dialect {
    pub backend: DbBackend,
    values: Vec<Value>,
}

impl Dialect {
    pub fn new(backend: DbBackend) -> Self {
        Self { backend, values: Vec::new() }
    }

    fn pg(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// A placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        if self.pg() { format!("${}", self.values.len()) } else { "?".to_owned() }
    }

    pub fn take_values(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.values)
    }

    /// The Asia/Shanghai day of a UTC timestamp expression.
    pub fn day(&self, ts: &str) -> String {
        if self.pg() {
            format!("(({ts}) AT TIME ZONE 'Asia/Shanghai')::date")
        } else {
            format!("date({ts}, '+8 hours')")
        }
    }

    /// Today in Asia/Shanghai.
    pub fn today(&self) -> String {
        if self.pg() {
            "((now() AT TIME ZONE 'Asia/Shanghai')::date)".to_owned()
        } else {
            "date('now', '+8 hours')".to_owned()
        }
    }

    /// A date literal (the hub's own dates, never caller text).
    pub fn date(&self, d: NaiveDate) -> String {
        if self.pg() { format!("DATE '{}'", d.format("%Y-%m-%d")) } else { format!("'{}'", d.format("%Y-%m-%d")) }
    }

    /// `d` plus `months` calendar months, clamped to the month's last day (31 Aug + 6
    /// months = 28 or 29 Feb) on both backends.
    pub fn add_months(&self, d: &str, months: u32) -> String {
        if self.pg() {
            format!("(({d}) + make_interval(months => {months}))::date")
        } else {
            format!(
                "min(date({d}, '+{months} months'), date({d}, 'start of month', '+{} months', '-1 day'))",
                months + 1
            )
        }
    }

    /// `d` plus `days` days (negative to go back).
    pub fn add_days(&self, d: &str, days: i32) -> String {
        if self.pg() { format!("(({d}) + ({days}))") } else { format!("date({d}, '{days:+} days')") }
    }

    /// The first day of `d`'s month.
    pub fn month_start(&self, d: &str) -> String {
        if self.pg() { format!("date_trunc('month', {d})::date") } else { format!("date({d}, 'start of month')") }
    }

    /// The first day of the period of `grain` holding the day `d` (ISO weeks start on
    /// Monday).
    pub fn period_start(&self, grain: super::Grain, d: &str) -> String {
        use super::Grain::*;
        match (self.pg(), grain) {
            (_, Day) => d.to_owned(),
            (true, Week) => format!("date_trunc('week', {d})::date"),
            (true, Month) => format!("date_trunc('month', {d})::date"),
            (true, Quarter) => format!("date_trunc('quarter', {d})::date"),
            (true, Year) => format!("date_trunc('year', {d})::date"),
            (false, Week) => format!("date({d}, '-' || ((CAST(strftime('%w', {d}) AS INTEGER) + 6) % 7) || ' days')"),
            (false, Month) => format!("date({d}, 'start of month')"),
            (false, Quarter) => format!(
                "date({d}, 'start of month', '-' || ((CAST(strftime('%m', {d}) AS INTEGER) - 1) % 3) || ' months')"
            ),
            (false, Year) => format!("date({d}, 'start of year')"),
        }
    }

    /// The larger of two values.
    pub fn greatest(&self, a: &str, b: &str) -> String {
        if self.pg() { format!("GREATEST({a}, {b})") } else { format!("max({a}, {b})") }
    }

    /// The smaller of two values.
    pub fn least(&self, a: &str, b: &str) -> String {
        if self.pg() { format!("LEAST({a}, {b})") } else { format!("min({a}, {b})") }
    }

    /// A date-typed NULL.
    pub fn null_date(&self) -> &'static str {
        if self.pg() { "CAST(NULL AS DATE)" } else { "NULL" }
    }

    /// The first brand of a store (`store.brands` is a JSON array).
    pub fn first_brand(&self, store: &str) -> String {
        if self.pg() { format!("({store}.brands ->> 0)") } else { format!("json_extract({store}.brands, '$[0]')") }
    }

    /// A floating-point value of `expr`.
    pub fn real(&self, expr: &str) -> String {
        if self.pg() { format!("CAST({expr} AS DOUBLE PRECISION)") } else { format!("CAST({expr} AS REAL)") }
    }

    /// Text of `expr`.
    pub fn text(&self, expr: &str) -> String {
        format!("CAST({expr} AS TEXT)")
    }

    /// `WITH` or `WITH RECURSIVE` (SQLite and PostgreSQL both need the keyword for a
    /// recursive CTE).
    pub fn with_recursive(&self) -> &'static str {
        "WITH RECURSIVE"
    }
}
