//! Durations as manifests write them: `180d`, `12h`, `2w`, `90m`, or ISO-8601 `P180D`, `PT12H`.
//!
//! Short forms are one whole number and one unit: `w` weeks, `d` days, `h` hours, `m` minutes
//! (as in Go, Kubernetes and humantime; never months), `s` seconds. ISO-8601 takes weeks and
//! days before `T`, hours, minutes and seconds after it (`P1DT12H`), all whole numbers. Years
//! and months are rejected in both forms: their length varies, so a lifetime in them would be
//! ambiguous; the hint suggests days.

use time::Duration;

/// The longest duration accepted: 100 years (protects arithmetic on dates from overflow).
const MAX_SECONDS: i64 = 100 * 366 * 24 * 3600;

/// Why a duration did not parse: message and hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    /// What is wrong, e.g. "`30x` is not a duration".
    pub message: String,
    /// How to write it instead, when there is something to say.
    pub hint: Option<String>,
}

/// Parses a duration; zero is allowed (the caller decides whether it makes sense). Public for
/// command-line flags that take a duration in the manifest's syntax (`drift --expiring-within`).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    let seconds = if trimmed.starts_with(['P', 'p']) {
        parse_iso(trimmed)
    } else {
        parse_short(trimmed)
    };
    match seconds {
        Some(seconds) if seconds <= MAX_SECONDS => Ok(Duration::seconds(seconds)),
        Some(_) => Err(DurationError {
            message: format!("duration `{text}` is longer than 100 years"),
            hint: None,
        }),
        None => Err(DurationError {
            message: format!("`{text}` is not a duration"),
            hint: Some(hint_for(trimmed)),
        }),
    }
}

fn hint_for(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    if lower.ends_with('y')
        || lower.ends_with("mo")
        || lower.ends_with("month")
        || lower.ends_with("months")
    {
        return "years and months vary in length; write days, e.g. `365d` or `P365D`".to_owned();
    }
    if text.starts_with(['P', 'p']) && !text.contains(['T', 't']) && text.ends_with(['M', 'm']) {
        return "ISO-8601 `M` before `T` means months, which are not accepted; write days, e.g. `P30D`".to_owned();
    }
    "write a whole number and a unit: `180d`, `12h`, `2w`, `90m`, or ISO-8601 like `P180D`, `PT12H`"
        .to_owned()
}

fn parse_short(text: &str) -> Option<i64> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return None;
    }
    let number: i64 = number.parse().ok()?;
    let unit_seconds = match unit {
        "w" => 7 * 86_400,
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return None,
    };
    number.checked_mul(unit_seconds)
}

fn parse_iso(text: &str) -> Option<i64> {
    let body = &text[1..];
    let (date, time_part) = match body.find(['T', 't']) {
        Some(position) => (&body[..position], Some(&body[position + 1..])),
        None => (body, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    for (number, unit) in iso_components(date)? {
        let unit_seconds = match unit.to_ascii_uppercase() {
            'W' => 7 * 86_400,
            'D' => 86_400,
            _ => return None,
        };
        total = total.checked_add(number.checked_mul(unit_seconds)?)?;
        any = true;
    }
    if let Some(time_part) = time_part {
        let components = iso_components(time_part)?;
        if components.is_empty() {
            return None;
        }
        for (number, unit) in components {
            let unit_seconds = match unit.to_ascii_uppercase() {
                'H' => 3_600,
                'M' => 60,
                'S' => 1,
                _ => return None,
            };
            total = total.checked_add(number.checked_mul(unit_seconds)?)?;
            any = true;
        }
    }
    any.then_some(total)
}

/// `12D3W` -> [(12, 'D'), (3, 'W')]; `None` for anything but digit runs followed by a letter.
fn iso_components(text: &str) -> Option<Vec<(i64, char)>> {
    let mut components = Vec::new();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c.is_ascii_alphabetic() && !digits.is_empty() {
            components.push((digits.parse().ok()?, c));
            digits.clear();
        } else {
            return None;
        }
    }
    digits.is_empty().then_some(components)
}

/// A duration in the manifest's own short form: `180d`, `12h`, `1d12h` (for messages).
pub(crate) fn format_duration(duration: Duration) -> String {
    let mut seconds = duration.whole_seconds();
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if seconds >= size {
            out.push_str(&format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> String {
        match parse_duration(text) {
            Ok(duration) => format_duration(duration),
            Err(error) => format!("{} ({})", error.message, error.hint.unwrap_or_default()),
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(check("180d"), "180d");
        assert_eq!(check("2w"), "14d");
        assert_eq!(check("12h"), "12h");
        assert_eq!(check("90m"), "1h30m");
        assert_eq!(check("30s"), "30s");
        assert_eq!(check("P180D"), "180d");
        assert_eq!(check("PT12H"), "12h");
        assert_eq!(check("P1DT12H30M"), "1d12h30m");
        assert_eq!(check("P2W"), "14d");
        assert_eq!(check("0d"), "0s");
    }

    #[test]
    fn bad_durations_say_why() {
        assert_eq!(
            check("6mo"),
            "`6mo` is not a duration (years and months vary in length; write days, e.g. `365d` or `P365D`)"
        );
        assert_eq!(
            check("1y"),
            "`1y` is not a duration (years and months vary in length; write days, e.g. `365d` or `P365D`)"
        );
        assert_eq!(
            check("P6M"),
            "`P6M` is not a duration (ISO-8601 `M` before `T` means months, which are not accepted; write days, e.g. `P30D`)"
        );
        assert!(
            check("180 days").starts_with("`180 days` is not a duration (write a whole number")
        );
        assert!(check("d").starts_with("`d` is not a duration"));
        assert!(check("P").starts_with("`P` is not a duration"));
        assert!(check("PT").starts_with("`PT` is not a duration"));
        assert!(check("-5d").starts_with("`-5d` is not a duration"));
        assert_eq!(
            check("10000w"),
            "duration `10000w` is longer than 100 years ()"
        );
    }
}
