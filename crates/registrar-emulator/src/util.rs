//! Small helpers shared by every service: clock, ids, time formats, hashing, locking.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Locks a mutex, ignoring poisoning: state is only ever mutated whole-request at a time, and a
/// panicking handler must not take the whole emulator down with it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Milliseconds since the Unix epoch (real clock).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|duration| i64::try_from(duration.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Seconds since the Unix epoch (real clock).
pub(crate) fn now_secs() -> i64 {
    now_ms() / 1000
}

/// The current time.
pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Graph's timestamp format: `2019-09-17T19:10:35.2742618Z`.
pub(crate) fn graph_time(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.0000000Z".to_owned())
}

/// Graph's `innerError.date` format: `2020-08-18T12:51:51`.
pub(crate) fn graph_date_short(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    at.format(&format).unwrap_or_default()
}

/// Parses an RFC 3339 timestamp as Graph accepts it.
pub(crate) fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// A new random GUID, lower-case hyphenated.
pub(crate) fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A deterministic GUID for seeded objects (UUIDv5 in the emulator's namespace).
pub(crate) fn seeded_guid(name: &str) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6b1f_3c2e_8d4a_4f5b_9c7e_2a1d_0e3f_4b5a);
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Decodes lower/upper-case hex, `None` on bad input.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(text.get(index..index + 2)?, 16).ok())
        .collect()
}

/// Percent-decodes one URL path segment (no `+` to space conversion); a `%` not followed by two
/// hex digits stays as it is, bytes that are not UTF-8 become U+FFFD.
pub(crate) fn percent_decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// Constant-time equality for secrets and signatures (`subtle`): the length may leak, the
/// content does not.
pub(crate) fn secure_eq(left: &[u8], right: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    left.ct_eq(right).into()
}

/// HMAC-SHA256 (RFC 2104, the `hmac` crate), used to sign the emulator's JWTs.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit as _, Mac as _};
    // HMAC takes a key of any length (longer ones are hashed first), so this never fails.
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn percent_decode_handles_escapes() {
        assert_eq!(percent_decode("alice%40contoso.com"), "alice@contoso.com");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("(uniqueName='x%20y')"), "(uniqueName='x y')");
    }

    #[test]
    fn hmac_matches_rfc_4231_case_6_long_key() {
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn secure_eq_compares_content_and_length() {
        assert!(secure_eq(b"abc", b"abc"));
        assert!(!secure_eq(b"abc", b"abd"));
        assert!(!secure_eq(b"abc", b"abcd"));
    }

    #[test]
    fn graph_time_has_seven_fraction_digits() {
        let text = graph_time(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(text, "1970-01-01T00:00:00.0000000Z");
        assert!(parse_time(&text).is_some());
    }
}
