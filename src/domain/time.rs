//! Asia/Shanghai time: the group's calendar days and the instants they start. Every
//! deadline, period and "today" of the hub is a Shanghai day, never a UTC one (China keeps
//! UTC+8 all year, without daylight saving).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The instant of `minute` (0–1439) of a Shanghai day.
pub fn at_minute(day: NaiveDate, minute: i32) -> DateTime<Utc> {
    let time =
        NaiveTime::from_num_seconds_from_midnight_opt((minute.clamp(0, 1439) as u32) * 60, 0).unwrap_or(NaiveTime::MIN);
    let local = day.and_time(time);
    shanghai().from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| local.and_utc())
}

/// The Asia/Shanghai calendar day of an instant.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&shanghai()).date_naive()
}

/// The instant a Shanghai day starts.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    at_minute(day, 0)
}
