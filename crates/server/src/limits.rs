//! Per-client rate limits: how many sessions one client may start, and how many forms it may
//! post, in a minute.
//!
//! A client is its address as the socket sees it, or, with `--trusted-proxy`, the address
//! the proxy put last in `X-Forwarded-For` (the only entry the proxy itself vouches for; the
//! ones before it are whatever the client claimed). IPv6 clients count by their /64 network,
//! since one machine is usually given a whole one.
//!
//! Each limit is a token bucket: a client may do `per_minute` things in a burst, and gets
//! them back evenly over a minute. Buckets are kept for at most `MAX_CLIENTS` clients;
//! when that many are known, the ones that are full again (they did nothing for a minute)
//! are forgotten, and if none is, the whole table is, which at worst lets a flood of
//! different addresses start afresh, never blocks a customer wrongly.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// Clients remembered per limit.
const MAX_CLIENTS: usize = 100_000;

/// What a client is counted as.
pub(crate) fn client(peer: Option<SocketAddr>, headers: &HeaderMap, trusted_proxy: bool) -> IpAddr {
    let forwarded = trusted_proxy
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .last()
                .and_then(|last| last.trim().parse::<IpAddr>().ok())
        })
        .flatten();
    let address = forwarded
        .or(peer.map(|p| p.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// One limit over all clients.
pub(crate) struct RateLimit {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimit {
    /// `per_minute` of 0 turns the limit off.
    pub(crate) fn new(per_minute: u32) -> RateLimit {
        RateLimit {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one from the client's bucket: `Ok`, or how long until it may try again.
    pub(crate) fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            buckets.retain(|_, bucket| {
                bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * per_second < capacity
            });
            if buckets.len() >= MAX_CLIENTS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let refilled = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * per_second)
            .min(capacity);
        *bucket = Bucket {
            tokens: refilled,
            at: now,
        };
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_back_every_interval() {
        let limit = RateLimit::new(6); // one back every ten seconds
        let client = IpAddr::from([192, 0, 2, 1]);
        let other = IpAddr::from([192, 0, 2, 2]);
        let start = Instant::now();
        for _ in 0..6 {
            assert_eq!(limit.take(client, start), Ok(()));
        }
        let wait = limit.take(client, start).unwrap_err();
        assert!(
            wait > Duration::from_secs(9) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        assert_eq!(
            limit.take(other, start),
            Ok(()),
            "clients are counted apart"
        );
        assert_eq!(limit.take(client, start + Duration::from_secs(10)), Ok(()));
        assert!(limit.take(client, start + Duration::from_secs(10)).is_err());
        assert!(RateLimit::new(0).take(client, start).is_ok());
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 9)));
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        assert_eq!(client(peer, &headers, false), IpAddr::from([127, 0, 0, 1]));
        // The proxy's own entry is the last one; the first is whatever the client claimed.
        assert_eq!(
            client(peer, &headers, true),
            IpAddr::from([198, 51, 100, 7])
        );
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client(peer, &headers, true), IpAddr::from([127, 0, 0, 1]));
    }

    #[test]
    fn an_ipv6_client_is_its_64_network() {
        let a: SocketAddr = "[2001:db8:1:2:aaaa::1]:1".parse().unwrap();
        let b: SocketAddr = "[2001:db8:1:2:bbbb::2]:1".parse().unwrap();
        let headers = HeaderMap::new();
        assert_eq!(
            client(Some(a), &headers, false),
            client(Some(b), &headers, false)
        );
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:1".parse().unwrap();
        assert_eq!(
            client(Some(mapped), &headers, false),
            IpAddr::from([192, 0, 2, 1])
        );
    }
}
