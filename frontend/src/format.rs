//! Formatting numbers, names and dates for people.

use wasm_bindgen::JsValue;

/// `12345` → `"12,345"`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1` → `"1 user"`, `2` → `"2 users"`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// "just now", "3 min ago", "2 h ago", "5 days ago".
pub fn ago(seconds: i64) -> String {
    match seconds {
        s if s < 45 => "just now".into(),
        s if s < 3_600 => format!("{} min ago", (s + 30) / 60),
        s if s < 86_400 => format!("{} h ago", (s + 1_800) / 3_600),
        s => {
            let days = (s + 43_200) / 86_400;
            format!("{days} day{} ago", if days == 1 { "" } else { "s" })
        }
    }
}

/// "in 3 days", "in 5 h", "expired".
pub fn until(seconds: i64) -> String {
    match seconds {
        s if s <= 0 => "expired".into(),
        s if s < 3_600 => format!("in {} min", (s + 59) / 60),
        s if s < 86_400 => format!("in {} h", (s + 3_599) / 3_600),
        s => {
            let days = (s + 86_399) / 86_400;
            format!("in {days} day{}", if days == 1 { "" } else { "s" })
        }
    }
}

/// A rough length of time: "under a minute", "about 4 min", "about 2 h 10 min".
pub fn duration(seconds: u64) -> String {
    match seconds {
        s if s < 60 => "under a minute".into(),
        s if s < 3_600 => format!("about {} min", (s + 30) / 60),
        s => {
            let minutes = (s + 30) / 60;
            match minutes % 60 {
                0 => format!("about {} h", minutes / 60),
                m => format!("about {} h {m} min", minutes / 60),
            }
        }
    }
}

/// Up to two initials: "Ada Lee" → "AL".
pub fn initials(name: &str) -> String {
    let first: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .collect();
    uppercase(&first)
}

/// `str::to_lowercase`: the full Unicode mapping. In the browser JavaScript's
/// `toLowerCase` applies the same mapping, so the wasm need not carry Rust's Unicode case
/// tables (about 30 KB); native builds, the unit tests, use the standard library.
pub fn lowercase(s: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    return js_sys::JsString::from(s).to_lower_case().into();
    #[cfg(not(target_arch = "wasm32"))]
    s.to_lowercase()
}

/// `str::to_uppercase`, as [`lowercase`] is `str::to_lowercase`.
pub fn uppercase(s: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    return js_sys::JsString::from(s).to_upper_case().into();
    #[cfg(not(target_arch = "wasm32"))]
    s.to_uppercase()
}

/// One of eight avatar colour classes, stable per user.
pub fn avatar_class(id: &str) -> &'static str {
    const CLASSES: [&str; 8] = ["av0", "av1", "av2", "av3", "av4", "av5", "av6", "av7"];
    let h = id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    CLASSES[(h % 8) as usize]
}

/// Seconds since the epoch, from the browser's clock.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

fn date(ts: i64) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(ts as f64 * 1000.0))
}

fn two(n: u32) -> String {
    format!("{n:02}")
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "23 Nov 2026" in the browser's time zone.
pub fn day(ts: i64) -> String {
    let d = date(ts);
    format!(
        "{} {} {}",
        d.get_date(),
        MONTHS[d.get_month() as usize % 12],
        d.get_full_year()
    )
}

/// "23 Nov 2026, 14:05" in the browser's time zone.
pub fn day_time(ts: i64) -> String {
    let d = date(ts);
    format!(
        "{}, {}:{}",
        day(ts),
        two(d.get_hours()),
        two(d.get_minutes())
    )
}

/// "14:05" in the browser's time zone.
pub fn clock_time(ts: i64) -> String {
    let d = date(ts);
    format!("{}:{}", two(d.get_hours()), two(d.get_minutes()))
}

/// "2026-11-23 13:05 UTC".
pub fn utc(ts: i64) -> String {
    let d = date(ts);
    format!(
        "{}-{}-{} {}:{} UTC",
        d.get_utc_full_year(),
        two(d.get_utc_month() + 1),
        two(d.get_utc_date()),
        two(d.get_utc_hours()),
        two(d.get_utc_minutes())
    )
}

/// The value of an `<input type="datetime-local">` for a time (local time zone).
pub fn to_local_input(ts: i64) -> String {
    let d = date(ts);
    format!(
        "{}-{}-{}T{}:{}",
        d.get_full_year(),
        two(d.get_month() + 1),
        two(d.get_date()),
        two(d.get_hours()),
        two(d.get_minutes())
    )
}

/// The last day of the month after the one `ts` falls in, at the same time of day (local
/// time zone): "to the end of next month".
pub fn end_of_next_month(ts: i64) -> i64 {
    let d = date(ts);
    // Day 0 of the month after next is the last day of next month.
    let end = js_sys::Date::new_with_year_month_day_hr_min_sec(
        d.get_full_year(),
        d.get_month() as i32 + 2,
        0,
        d.get_hours() as i32,
        d.get_minutes() as i32,
        0,
    );
    (end.get_time() / 1000.0) as i64
}

/// Seconds since the epoch of an `<input type="datetime-local">` value (local time zone).
pub fn from_local_input(value: &str) -> Option<i64> {
    if value.len() < 16 {
        return None;
    }
    let ms = js_sys::Date::new(&JsValue::from_str(value)).get_time();
    (!ms.is_nan()).then(|| (ms / 1000.0) as i64)
}

/// The browser's time zone name, e.g. "Europe/Berlin".
pub fn time_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "local time".into())
}

/// "UTC+01:00" for a time zone offset in seconds east of UTC.
pub fn utc_offset(seconds: i64) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    format!("UTC{sign}{:02}:{:02}", s / 3_600, s % 3_600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(count(1, "user", "users"), "1 user");
        assert_eq!(count(1_000, "user", "users"), "1,000 users");
    }

    #[test]
    fn relative_times() {
        assert_eq!(ago(10), "just now");
        assert_eq!(ago(180), "3 min ago");
        assert_eq!(ago(7_200), "2 h ago");
        assert_eq!(ago(86_400), "1 day ago");
        assert_eq!(until(-5), "expired");
        assert_eq!(until(90), "in 2 min");
        assert_eq!(until(3 * 86_400), "in 3 days");
        assert_eq!(duration(20), "under a minute");
        assert_eq!(duration(250), "about 4 min");
        assert_eq!(duration(7_800), "about 2 h 10 min");
        assert_eq!(duration(7_200), "about 2 h");
    }

    #[test]
    fn names() {
        assert_eq!(initials("Ada Lee"), "AL");
        assert_eq!(initials("Łukasz Dvořák Nowak"), "ŁD");
        assert_eq!(initials("deploy-bot"), "D");
        assert_eq!(avatar_class("W1"), avatar_class("W1"));
        assert_eq!(utc_offset(3_600), "UTC+01:00");
        assert_eq!(utc_offset(-19_800), "UTC-05:30");
    }
}
