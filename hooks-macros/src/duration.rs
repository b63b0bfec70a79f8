//! Duration literals: `"250ms"`, `"5s"`, `"1.5s"`, `"1m"`, `"2h"`, `"10us"`, `"100ns"`, or a number
//! of seconds (`5`, `0.25`) → nanoseconds, computed at expansion time.

/// Nanoseconds in `text` (`"5s"`), or why it is not a duration.
pub(crate) fn parse_duration_str(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: f64 = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" | "sec" | "secs" => 1e9,
        "m" | "min" | "mins" => 60e9,
        "h" => 3600e9,
        "" => return Err(format!("`{text}` has no unit; write e.g. \"{text}s\" or \"{text}ms\"")),
        other => return Err(format!("unknown duration unit `{other}`; expected one of ns, us, ms, s, m, h")),
    };
    from_number(number, scale).map_err(|err| match err {
        NumberError::Malformed => format!("`{text}` is not a duration; expected e.g. \"250ms\", \"5s\", \"1m\""),
        NumberError::TooLong => too_long(text),
    })
}

/// Nanoseconds in a number of seconds written as an integer or float literal.
pub(crate) fn seconds_to_nanos(number: &str) -> Result<u64, String> {
    from_number(number, 1e9).map_err(|err| match err {
        NumberError::Malformed => format!("`{number}` is not a number of seconds"),
        NumberError::TooLong => too_long(&format!("{number} seconds")),
    })
}

/// Why a number is not a duration: a number that is too large is not "not a number".
enum NumberError {
    Malformed,
    TooLong,
}

fn too_long(text: &str) -> String {
    // u64::MAX nanoseconds, what a registration stores.
    format!("`{text}` is too long a duration; the longest is about 584 years")
}

fn from_number(number: &str, scale: f64) -> Result<u64, NumberError> {
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return Err(NumberError::Malformed);
    }
    if let Ok(int) = number.parse::<u64>() {
        return int.checked_mul(scale as u64).ok_or(NumberError::TooLong);
    }
    let value: f64 = number.parse().map_err(|_| NumberError::Malformed)?;
    let nanos = (value * scale).round();
    if nanos.is_nan() || nanos < 0.0 {
        return Err(NumberError::Malformed);
    }
    if nanos > u64::MAX as f64 {
        return Err(NumberError::TooLong);
    }
    Ok(nanos as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration_str("250ms"), Ok(250_000_000));
        assert_eq!(parse_duration_str("5s"), Ok(5_000_000_000));
        assert_eq!(parse_duration_str("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration_str("1m"), Ok(60_000_000_000));
        assert_eq!(parse_duration_str("2h"), Ok(7_200_000_000_000));
        assert_eq!(parse_duration_str("10us"), Ok(10_000));
        assert_eq!(parse_duration_str("100ns"), Ok(100));
        assert_eq!(parse_duration_str(" 3 s "), Ok(3_000_000_000));
    }

    #[test]
    fn mistakes_say_what_is_expected() {
        assert!(parse_duration_str("5").unwrap_err().contains("no unit"));
        assert!(parse_duration_str("5 parsecs").unwrap_err().contains("unknown duration unit"));
        assert!(parse_duration_str("s").is_err());
        assert!(parse_duration_str("1..5s").is_err());
        assert!(parse_duration_str("99999999999999999999h").unwrap_err().contains("too long"));
    }

    #[test]
    fn seconds() {
        assert_eq!(seconds_to_nanos("5"), Ok(5_000_000_000));
        assert_eq!(seconds_to_nanos("0.25"), Ok(250_000_000));
        assert!(seconds_to_nanos("x").is_err());
        assert!(seconds_to_nanos("99999999999999999999").unwrap_err().contains("too long"));
    }
}
