use super::*;
use axum::http::HeaderValue;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn trusted_proxies_parse_addresses_and_networks() {
    let t = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 ,::1,2001:db8::/32").unwrap();
    assert!(t.contains(ip("10.1.2.3")));
    assert!(t.contains(ip("192.0.2.7")));
    assert!(!t.contains(ip("192.0.2.8")));
    assert!(t.contains(ip("::1")));
    assert!(t.contains(ip("::ffff:10.9.9.9")));
    assert!(t.contains(ip("2001:db8:1::5")));
    assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    assert!(TrustedProxies::parse("proxy.example").is_err());
    assert!(TrustedProxies::parse("").unwrap().is_empty());
}

#[test]
fn forwarded_for_is_read_only_from_trusted_proxies() {
    let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
    let mut h = HeaderMap::new();
    h.insert(
        "x-forwarded-for",
        HeaderValue::from_static("1.1.1.1, 203.0.113.9, 10.0.0.2"),
    );
    // From a trusted proxy: the rightmost address that is not a proxy (not the spoofable left one).
    assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.9"));
    // From anyone else: the header is ignored.
    assert_eq!(
        client_ip(ip("198.51.100.4"), &h, &trusted),
        ip("198.51.100.4")
    );
    // No proxies configured: never read.
    assert_eq!(
        client_ip(ip("10.0.0.1"), &h, &TrustedProxies::default()),
        ip("10.0.0.1")
    );
    // Garbage stops the walk at the proxy that wrote it.
    h.insert(
        "x-forwarded-for",
        HeaderValue::from_static("1.1.1.1, nonsense, 10.0.0.2"),
    );
    assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.2"));
    // Ports and brackets are read.
    h.insert(
        "x-forwarded-for",
        HeaderValue::from_static("[2001:db8::1]:4711"),
    );
    assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("2001:db8::1"));
}

#[test]
fn ipv6_clients_are_keyed_by_their_64() {
    assert_eq!(
        ClientKey::of(ip("2001:db8:1:2:aaaa::1")),
        ClientKey::of(ip("2001:db8:1:2:ffff:1:2:3"))
    );
    assert_ne!(
        ClientKey::of(ip("2001:db8:1:2::1")),
        ClientKey::of(ip("2001:db8:1:3::1"))
    );
    assert_eq!(
        ClientKey::of(ip("::ffff:192.0.2.1")),
        ClientKey::of(ip("192.0.2.1"))
    );
    assert_eq!(
        ClientKey::of(ip("2001:db8:1:2::1")).to_string(),
        "2001:db8:1:2::/64"
    );
}

fn addr(s: &str) -> Client {
    Client::Address(ip(s))
}

#[tokio::test(start_paused = true)]
async fn one_full_batch_passes_and_a_second_waits() {
    let limiter = LinkLimiter::new(RateLimit {
        per_second: 5,
        burst: 1000,
    });
    let me = addr("192.0.2.1");
    assert_eq!(limiter.take(&me, 1000, None), Ok(()));
    let Err(Refused::Wait(wait)) = limiter.take(&me, 1000, None) else {
        panic!("a second full batch passed")
    };
    assert_eq!(retry_after_secs(wait), 200);
    // Another client is not affected (another /24, so no layer is shared).
    assert_eq!(limiter.take(&addr("198.51.100.2"), 1000, None), Ok(()));
    // Five links a second come back.
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(limiter.take(&me, 10, None), Ok(()));
    assert!(limiter.take(&me, 1, None).is_err());
    // Refused requests take nothing: after 200 s the bucket is full again.
    tokio::time::advance(Duration::from_secs(200)).await;
    assert_eq!(limiter.take(&me, 1000, None), Ok(()));
    // More than the burst never passes, even with a full bucket.
    tokio::time::advance(Duration::from_secs(200)).await;
    assert_eq!(
        limiter.take(&me, 1001, None),
        Err(Refused::OverBurst { burst: 1000 })
    );
    assert_eq!(limiter.take(&me, 1000, None), Ok(()));
}

#[tokio::test(start_paused = true)]
async fn full_buckets_are_forgotten() {
    let limiter = LinkLimiter::new(RateLimit {
        per_second: 10,
        burst: 20,
    });
    for i in 0..50u8 {
        limiter
            .take(&Client::Address(IpAddr::from([192, 0, i, 1])), 20, None)
            .unwrap();
    }
    // 50 addresses and their /24s.
    assert_eq!(limiter.buckets(), 100);
    tokio::time::advance(Duration::from_secs(1)).await;
    limiter.sweep();
    // The /24s are full again, but sweeping stops at the least recently used bucket that is
    // not: an address's own (2 s to refill).
    assert_eq!(limiter.buckets(), 100, "not full yet");
    tokio::time::advance(Duration::from_secs(2)).await;
    limiter.sweep();
    assert_eq!(limiter.buckets(), 0);
}

const ONE: Rate = Rate {
    per_second: 1.0,
    burst: 4.0,
};

/// Takes one token at a time until refused: how many passed.
fn drain(buckets: &ClientBuckets, client: &Client, rate: Rate) -> usize {
    let mut n = 0;
    while buckets.take(client, 1.0, rate).is_ok() {
        n += 1;
        assert!(n < 10_000, "never refused");
    }
    n
}

#[tokio::test(start_paused = true)]
async fn ipv6_64s_of_one_48_share_its_56_and_48_buckets() {
    let b = ClientBuckets::new(1000);
    // Alone, a /64 gets its own burst.
    assert_eq!(drain(&b, &addr("2001:db8:1:100::1"), ONE), 4);
    // Another address of that /64 is the same client.
    assert_eq!(drain(&b, &addr("2001:db8:1:100:ffff::9"), ONE), 0);
    // Other /64s of the same /56 (2001:db8:1:1xx::/56) get 4 each until the /56's 4x4 = 16 are
    // spent: three more /64s, then a fifth /64 of the /56 is refused with a full bucket of its own.
    for n in 1..=3u16 {
        let c = Client::Address(IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            1,
            0x100 + n,
            0,
            0,
            0,
            1,
        )));
        assert_eq!(drain(&b, &c, ONE), 4, "/64 number {n}");
    }
    assert_eq!(
        drain(&b, &addr("2001:db8:1:1ff::1"), ONE),
        0,
        "the /56 is spent"
    );
    // Other /56s of the same /48 take from the /48's 16 x 4 = 64: three more /56s of 16 each.
    let mut from_other_56s = 0;
    for n in 2..=255u16 {
        for m in 0..4u16 {
            let c = Client::Address(IpAddr::V6(Ipv6Addr::new(
                0x2001,
                0xdb8,
                1,
                (n << 8) | m,
                0,
                0,
                0,
                1,
            )));
            from_other_56s += drain(&b, &c, ONE);
        }
    }
    assert_eq!(
        from_other_56s,
        64 - 16,
        "every /64 of the /48 shares the /48's bucket"
    );
    // Another /48 is not affected.
    assert_eq!(drain(&b, &addr("2001:db8:2::1"), ONE), 4);
    // The /48 refills at 16 a second: after a second, 16 more in all, 4 per /64 at most.
    tokio::time::advance(Duration::from_secs(1)).await;
    let mut after = 0;
    for n in 0..8u16 {
        let c = Client::Address(IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            1,
            n << 8,
            0,
            0,
            0,
            1,
        )));
        after += drain(&b, &c, ONE);
    }
    assert_eq!(after, 16);
}

#[tokio::test(start_paused = true)]
async fn an_ipv4_24_at_its_aggregate_limit_blocks_its_neighbours_not_another_24() {
    let b = ClientBuckets::new(1000);
    // Sixteen addresses of 192.0.2.0/24 spend the /24's 16 x 4.
    for host in 1..=16u8 {
        assert_eq!(
            drain(&b, &Client::Address(IpAddr::from([192, 0, 2, host])), ONE),
            4
        );
    }
    // A seventeenth neighbour, never seen, with a full bucket of its own, is refused, and told
    // to wait for the /24 (a token at 16 a second).
    let neighbour = addr("192.0.2.200");
    assert_eq!(
        b.take(&neighbour, 1.0, ONE),
        Err(Wait::For(Duration::from_secs_f64(1.0 / 16.0)))
    );
    // An IPv4-mapped IPv6 address is its IPv4 address.
    assert!(b.take(&addr("::ffff:192.0.2.201"), 1.0, ONE).is_err());
    // Another /24 is not affected.
    assert_eq!(drain(&b, &addr("192.0.3.1"), ONE), 4);
    tokio::time::advance(Duration::from_secs_f64(1.0 / 16.0)).await;
    assert_eq!(b.take(&neighbour, 1.0, ONE), Ok(()));
}

#[tokio::test(start_paused = true)]
async fn a_refused_take_takes_nothing_from_any_layer_and_names_the_longest_wait() {
    let b = ClientBuckets::new(1000);
    let rate = Rate {
        per_second: 1.0,
        burst: 10.0,
    };
    // 192.0.2.1 spends 8 of its 10 (and 8 of the /24's 160).
    let me = addr("192.0.2.1");
    b.take(&me, 8.0, rate).unwrap();
    // 5 more: its own bucket lacks 3 (3 s); the /24 has plenty. Refused, nothing taken.
    assert_eq!(
        b.take(&me, 5.0, rate),
        Err(Wait::For(Duration::from_secs(3)))
    );
    assert_eq!(b.take(&me, 2.0, rate), Ok(()), "the refused 5 took nothing");
    // Fifteen neighbours spend the /24 down to 160 - 10 - 150 = 0.
    for host in 2..=16u8 {
        b.take(
            &Client::Address(IpAddr::from([192, 0, 2, host])),
            10.0,
            rate,
        )
        .unwrap();
    }
    tokio::time::advance(Duration::from_secs(2)).await;
    // Now 192.0.2.1 has 2 of its own and the /24 has 32: 5 lacks 3 of its own (3 s) and
    // nothing of the /24. A neighbour's 40 lacks 8 of the /24 (0.5 s) but is over its own
    // burst: never.
    assert_eq!(
        b.take(&me, 5.0, rate),
        Err(Wait::For(Duration::from_secs(3)))
    );
    assert_eq!(b.take(&addr("192.0.2.99"), 40.0, rate), Err(Wait::Never));
    // Three neighbours spend 30 of the /24's 32 (the refusals took nothing).
    b.take(&addr("192.0.2.50"), 10.0, rate).unwrap();
    b.take(&addr("192.0.2.51"), 10.0, rate).unwrap();
    b.take(&addr("192.0.2.52"), 10.0, rate).unwrap();
    // The /24 has 2 left, refills at 16 a second: 10 lack 8, half a second.
    assert_eq!(
        b.take(&addr("192.0.2.53"), 10.0, rate),
        Err(Wait::For(Duration::from_millis(500)))
    );
    // 192.0.2.1 asking 5: 3 s for its own bucket, 0.1875 s for the /24: the longer.
    assert_eq!(
        b.take(&me, 5.0, rate),
        Err(Wait::For(Duration::from_secs(3)))
    );
}

#[tokio::test(start_paused = true)]
async fn keys_have_one_bucket_at_their_own_rate() {
    let b = ClientBuckets::new(1000);
    let generous = Rate {
        per_second: 10.0,
        burst: 100.0,
    };
    assert_eq!(drain(&b, &Client::Key(7), generous), 100);
    // Another key, and the addresses, are other clients.
    assert_eq!(drain(&b, &Client::Key(8), ONE), 4);
    assert_eq!(drain(&b, &addr("192.0.2.1"), ONE), 4);
    assert_eq!(b.len(), 4, "a key is one bucket; an IPv4 address two");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(drain(&b, &Client::Key(7), generous), 10);
    assert_eq!(drain(&b, &Client::Key(8), ONE), 1);

    // The link limiter: a key's own limit, its own burst in OverBurst.
    let limiter = LinkLimiter::new(RateLimit {
        per_second: 5,
        burst: 1000,
    });
    let own = RateLimit {
        per_second: 50,
        burst: 3000,
    };
    assert_eq!(limiter.take(&Client::Key(1), 3000, Some(own)), Ok(()));
    assert_eq!(
        limiter.take(&Client::Key(1), 3001, Some(own)),
        Err(Refused::OverBurst { burst: 3000 })
    );
    let Err(Refused::Wait(wait)) = limiter.take(&Client::Key(1), 100, Some(own)) else {
        panic!("the key's bucket was not spent")
    };
    assert_eq!(retry_after_secs(wait), 2);
    assert_eq!(
        limiter.take(&Client::Key(2), 1001, None),
        Err(Refused::OverBurst { burst: 1000 })
    );
}

#[tokio::test(start_paused = true)]
async fn the_buckets_never_outgrow_their_capacity_and_an_evicted_client_is_as_new() {
    let b = ClientBuckets::with(64, 4, Layers::default());
    assert_eq!(b.capacity(), 64);
    let first = addr("10.0.0.1");
    assert_eq!(drain(&b, &first, ONE), 4);
    assert_eq!(
        b.take(&first, 1.0, ONE),
        Err(Wait::For(Duration::from_secs(1)))
    );
    // Thousands of other clients, each in its own /24: at most 64 buckets at any time.
    for i in 1..5000u32 {
        let c = Client::Address(IpAddr::from(std::net::Ipv4Addr::from(
            (10 << 24) | (i << 8) | 1,
        )));
        b.take(&c, 1.0, ONE).unwrap();
        assert!(b.len() <= b.capacity(), "{} buckets", b.len());
    }
    assert!(b.len() > 32, "the buckets are used: {}", b.len());
    // The first client was least recently used: forgotten, and as new (a full bucket), with no
    // time passed.
    assert_eq!(drain(&b, &first, ONE), 4);
    // A client that keeps asking keeps its bucket, refused or not.
    let busy = addr("10.255.255.1");
    assert_eq!(drain(&b, &busy, ONE), 4);
    for i in 0..5000u32 {
        let c = Client::Address(IpAddr::from(std::net::Ipv4Addr::from(
            (11 << 24) | (i << 8) | 1,
        )));
        b.take(&c, 1.0, ONE).unwrap();
        // Two clients (four buckets) between its takes cannot push it out of its shard.
        if i % 2 == 0 {
            assert!(b.take(&busy, 1.0, ONE).is_err(), "forgotten after {i}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn takes_at_the_edge_pass_after_years_up() {
    // Up a year, then ten: what came back, to the nanosecond, passes; one more link waits.
    // (Seconds in an f64, this map's first form, refused some such takes after long uptimes.)
    for years in [1, 10] {
        tokio::time::advance(Duration::from_secs(years * 366 * 86_400)).await;
        for per_second in [5u32, 8, 25, 40, 100] {
            let limiter = LinkLimiter::new(RateLimit {
                per_second,
                burst: 1000,
            });
            let me = addr("2001:db8::1");
            for _ in 0..20 {
                assert_eq!(limiter.take(&me, 1000, None), Ok(()));
                tokio::time::advance(Duration::from_secs(1)).await;
                for n in 0..per_second {
                    assert_eq!(limiter.take(&me, 1, None), Ok(()), "{per_second}/s, {n}");
                }
                assert!(limiter.take(&me, 1, None).is_err());
                tokio::time::advance(Duration::from_secs(1000)).await;
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn odd_rates_and_costs_neither_panic_nor_pass_over_the_burst() {
    let b = ClientBuckets::new(10);
    let me = addr("192.0.2.1");
    assert_eq!(b.take(&me, 0.0, ONE), Ok(()));
    assert_eq!(b.take(&me, f64::NAN, ONE), Ok(()));
    assert!(b.is_empty(), "nothing taken, nothing remembered");
    for rate in [
        Rate {
            per_second: 0.0,
            burst: 1.0,
        },
        Rate {
            per_second: -1.0,
            burst: 1.0,
        },
        Rate {
            per_second: f64::NAN,
            burst: 1.0,
        },
        Rate {
            per_second: 1e-300,
            burst: 1.0,
        },
    ] {
        let c = Client::Key(9);
        let b = ClientBuckets::new(10);
        assert_eq!(b.take(&c, 1.0, rate), Ok(()));
        assert!(
            matches!(b.take(&c, 1.0, rate), Err(Wait::For(_))),
            "{rate:?}"
        );
        assert!(retry_after_secs(Duration::MAX) > 0);
    }
    assert_eq!(
        b.take(
            &me,
            1.0,
            Rate {
                per_second: 1.0,
                burst: f64::NAN
            }
        ),
        Err(Wait::Never)
    );
    assert_eq!(
        b.take(
            &me,
            2.0,
            Rate {
                per_second: 1.0,
                burst: 1.0
            }
        ),
        Err(Wait::Never)
    );
    // An hourly budget: 2,000 an hour, 1,000 at once.
    let hourly = Rate::per(2000.0, Duration::from_secs(3600), 1000.0);
    assert_eq!(b.take(&me, 1000.0, hourly), Ok(()));
    let Err(Wait::For(wait)) = b.take(&me, 1.0, hourly) else {
        panic!("an hourly budget passed over its burst")
    };
    assert!((wait.as_secs_f64() - 1.8).abs() < 1e-6, "{wait:?}");
}
