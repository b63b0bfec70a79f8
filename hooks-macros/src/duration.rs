//! Duration literals → nanoseconds, computed at expansion time: a string in `humantime`'s forms
//! (`"250ms"`, `"5s"`, `"5 seconds"`, `"1h 30m"`), or a number of seconds (`5`, `0.25`).

/// What a duration string may look like, for error messages: humantime's forms.
const FORMS: &str = "write e.g. \"250ms\", \"1.5s\", \"5 seconds\", \"1m 30s\", \"2h\" (units: ns, us, ms, \
    s, m, h, d, w and their names), or a number of seconds such as `5` or `0.25`";

/// Nanoseconds in `text` (`"5s"`, `"1h 30m"`, `"5 seconds"`: what `humantime` accepts), or why it
/// is not a duration (the accepted forms included).
pub(crate) fn parse_duration_str(text: &str) -> Result<u64, String> {
    let text = text.trim();
    match humantime::parse_duration(text) {
        Ok(duration) => u64::try_from(duration.as_nanos()).map_err(|_| too_long(text)),
        Err(humantime::DurationError::NumberOverflow) => Err(too_long(text)),
        Err(humantime::DurationError::UnknownUnit { unit, .. }) if unit.is_empty() => {
            Err(format!("`{text}` has no unit; {FORMS}"))
        }
        Err(humantime::DurationError::UnknownUnit { unit, .. }) => {
            Err(format!("`{text}` is not a duration: unknown unit `{unit}`; {FORMS}"))
        }
        Err(_) => Err(format!("`{text}` is not a duration; {FORMS}")),
    }
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
    fn humantime_forms() {
        assert_eq!(parse_duration_str("250ms"), Ok(250_000_000));
        assert_eq!(parse_duration_str("5s"), Ok(5_000_000_000));
        assert_eq!(parse_duration_str("5 seconds"), Ok(5_000_000_000));
        assert_eq!(parse_duration_str("1h 30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration_str("1m"), Ok(60_000_000_000));
        assert_eq!(parse_duration_str("2h"), Ok(7_200_000_000_000));
        assert_eq!(parse_duration_str("10us"), Ok(10_000));
        assert_eq!(parse_duration_str("100ns"), Ok(100));
        assert_eq!(parse_duration_str(" 3s "), Ok(3_000_000_000));
        assert_eq!(parse_duration_str("1.5s"), Ok(1_500_000_000));
    }

    #[test]
    fn mistakes_list_the_accepted_forms() {
        for wrong in ["5", "5 parsecs", "s", "1..5s"] {
            let err = parse_duration_str(wrong).unwrap_err();
            assert!(err.contains(&format!("`{wrong}`")) && err.contains("5 seconds"), "{wrong}: {err}");
        }
        assert!(parse_duration_str("99999999999999999999h").unwrap_err().contains("too long"));
        assert!(parse_duration_str("600000 years").unwrap_err().contains("too long"));
    }

    #[test]
    fn seconds() {
        assert_eq!(seconds_to_nanos("5"), Ok(5_000_000_000));
        assert_eq!(seconds_to_nanos("0.25"), Ok(250_000_000));
        assert!(seconds_to_nanos("x").is_err());
        assert!(seconds_to_nanos("99999999999999999999").unwrap_err().contains("too long"));
    }
}
