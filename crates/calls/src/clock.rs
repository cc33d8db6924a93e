//! The hosts' clock. The engine reads no clock: hosts stamp every event, and all of them stamp
//! it this way, in milliseconds since the Unix epoch.

use calltree_engine::Millis;

/// Now, as an event time. A clock set before 1970 reads as 0, one past the year 292 million
/// as the largest time there is; neither is an error a call could do anything about.
pub fn now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| {
            Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
        })
}
