use super::*;

#[test]
fn a_key_has_its_prefix_256_random_bits_and_a_hash_that_is_not_it() {
    let a = new_key().unwrap();
    let b = new_key().unwrap();
    assert!(well_formed(&a) && well_formed(&b), "{a}");
    assert_ne!(a, b);
    assert_eq!(a.len(), KEY_PREFIX.len() + 64);
    let h = hash_key(&a);
    assert_eq!(h.len(), 64);
    assert!(!h.contains(&a[KEY_PREFIX.len()..]));
    assert_eq!(h, hash_key(&a), "the hash is stable");
    for bad in [
        "",
        "lsk_",
        "lsk_xyz",
        &a.to_uppercase(),
        &a[..a.len() - 1],
        &format!("{a}0"),
        &a.replace("lsk_", "key_"),
    ] {
        assert!(!well_formed(bad), "{bad}");
    }
}

#[test]
fn the_authorization_header_is_read_as_one_bearer_token() {
    let with = |values: &[&str]| {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::AUTHORIZATION, v.parse().unwrap());
        }
        h
    };
    assert_eq!(bearer(&HeaderMap::new()), None);
    assert_eq!(bearer(&with(&["Bearer lsk_1"])), Some(Ok("lsk_1")));
    assert_eq!(bearer(&with(&["bearer   lsk_1 "])), Some(Ok("lsk_1")));
    for bad in [
        &["Basic dXNlcjpwYXNz"][..],
        &["Bearer"],
        &["Bearer "],
        &["lsk_1"],
        &["Bearer lsk_1", "Bearer lsk_2"],
    ] {
        assert_eq!(bearer(&with(bad)), Some(Err(())), "{bad:?}");
    }
}

#[test]
fn keys_arguments_are_read_and_bad_ones_get_a_sentence() {
    assert_eq!(parse_keys_args(&["list"]), Ok(KeysCommand::List));
    assert_eq!(
        parse_keys_args(&["revoke", "shop.1"]),
        Ok(KeysCommand::Revoke {
            name: "shop.1".into()
        })
    );
    assert_eq!(
        parse_keys_args(&[
            "add",
            "--burst",
            "40",
            "partner",
            "--links-per-second=10",
            "--lookups-per-hour",
            "500"
        ]),
        Ok(KeysCommand::Add {
            name: "partner".into(),
            limits: KeyLimits {
                links_per_second: Some(10),
                burst: Some(40),
                lookups_per_hour: Some(500),
            }
        })
    );
    assert_eq!(
        parse_keys_args(&["add", "p"]),
        Ok(KeysCommand::Add {
            name: "p".into(),
            limits: KeyLimits::default()
        })
    );
    for (args, says) in [
        (&[][..], "needs a command"),
        (&["remove", "x"], "unknown keys command \"remove\""),
        (&["add"], "needs a key name"),
        (&["add", "a", "b"], "one too many"),
        (&["add", "a b"], "is not a key name"),
        (&["add", "x", "--burst"], "--burst needs a number"),
        (&["add", "x", "--burst", "0"], "not a whole number from 1"),
        (&["add", "x", "--burst", "-3"], "not a whole number"),
        (&["add", "x", "--burst", "1", "--burst", "2"], "given twice"),
        (&["add", "x", "--rate", "2"], "unknown option --rate"),
        (&["revoke"], "takes one key name"),
        (&["list", "x"], "unknown keys command"),
    ] {
        let err = parse_keys_args(args).unwrap_err();
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(parse_keys_args(&["add", &"n".repeat(65)]).is_err());
}

#[test]
fn a_keys_own_link_limit_takes_the_servers_for_what_it_leaves_out() {
    let server = Some(RateLimit {
        per_second: 5,
        burst: 1000,
    });
    assert_eq!(own_link_limit(KeyLimits::default(), server), None);
    let only_rate = KeyLimits {
        links_per_second: Some(50),
        ..KeyLimits::default()
    };
    assert_eq!(
        own_link_limit(only_rate, server),
        Some(RateLimit {
            per_second: 50,
            burst: 1000
        })
    );
    let only_burst = KeyLimits {
        burst: Some(3),
        ..KeyLimits::default()
    };
    assert_eq!(
        own_link_limit(only_burst, None),
        Some(RateLimit {
            per_second: 3,
            burst: 3
        })
    );
}
