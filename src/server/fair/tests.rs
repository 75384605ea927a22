//! The fair-use parts against tokio's paused clock.

use super::*;

fn client(n: u8) -> Client {
    Client::Address(std::net::IpAddr::from([192, 0, 2, n]))
}

#[tokio::test(start_paused = true)]
async fn the_budget_allows_a_burst_then_renews_per_hour() {
    let budget = Arc::new(LookupBudget::new(3600, 10));
    let me = client(1);
    for _ in 0..10 {
        assert_eq!(budget.take(&me, None), Ok(()));
    }
    let wait = budget.take(&me, None).unwrap_err();
    assert!(wait <= Duration::from_secs(1), "{wait:?}");
    // Another client has its own share.
    assert_eq!(budget.take(&client(2), None), Ok(()));
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(budget.take(&me, None), Ok(()));
    // A key's own rate.
    let key = Client::Key(7);
    for _ in 0..2 {
        assert_eq!(budget.take(&key, Some(2)), Ok(()));
    }
    let wait = budget.take(&key, Some(2)).unwrap_err();
    assert!(wait > Duration::from_secs(1700), "{wait:?}");
}

#[tokio::test(start_paused = true)]
async fn an_allowance_charges_each_product_once_and_says_why_it_refused() {
    let budget = Arc::new(LookupBudget::new(3600, 2));
    let check = Allowance::new(Caller::address([192, 0, 2, 1].into()), Some(budget.clone()));
    assert!(check.permit("1"));
    assert!(check.permit("1"), "the same product again costs nothing");
    assert!(check.permit("2"));
    assert!(!check.permit("3"));
    assert!(matches!(check.withheld("3"), Some(Withheld::Spent(_))));
    assert_eq!(check.withheld("1"), None);
    assert_eq!(check.spent(), 2);
    let mut caller = Caller::address([192, 0, 2, 9].into());
    caller.fresh = false;
    let memory_only = Allowance::new(caller, Some(budget));
    assert!(!memory_only.permit("1"));
    assert_eq!(memory_only.withheld("1"), Some(Withheld::MemoryOnly));
}

#[tokio::test(start_paused = true)]
async fn a_gate_holds_its_ceiling_per_minute() {
    let gate = Gate::new("test", Ceiling::per_minute(60), 4);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(300);
    let mut granted = Vec::new();
    while Instant::now() < deadline {
        if gate.turn(client(1), deadline).await.is_some() {
            granted.push(Instant::now() - start);
        }
    }
    // No 60 s hold more than the ceiling ...
    for (i, at) in granted.iter().enumerate() {
        let within = granted[i..]
            .iter()
            .take_while(|t| **t < *at + Duration::from_secs(60))
            .count();
        assert!(within <= 60, "{within} calls from {at:?}");
    }
    // ... and the ceiling is used: five minutes give at least 5 x 50 calls.
    assert!(granted.len() >= 250, "{}", granted.len());
}

#[tokio::test(start_paused = true)]
async fn a_heavy_client_never_delays_a_light_one_beyond_one_turn() {
    // The bystander asks once a second: within its fair share of 120 calls a minute.
    let gate = Gate::new("test", Ceiling::per_minute(120), 4);
    let flood = client(1);
    let deadline = Instant::now() + Duration::from_secs(600);
    // The flood takes the minute's calls and queues a thousand more.
    let mut queued = Vec::new();
    for _ in 0..1000 {
        let gate = gate.clone();
        queued.push(tokio::spawn(async move {
            gate.turn(flood, deadline).await.is_some()
        }));
    }
    // Every queued call has asked (the runtime polls a few dozen tasks a tick).
    for _ in 0..100 {
        if gate.waiting() + usize::try_from(gate.granted()).unwrap() >= 1000 {
            break;
        }
        tokio::task::yield_now().await;
    }
    tokio::time::advance(Duration::from_secs(10)).await;
    assert!(
        gate.waiting() > 900,
        "{} waiting, {} granted",
        gate.waiting(),
        gate.granted()
    );
    // The bystander's call goes at once (the reserve), again and again.
    for _ in 0..20 {
        let asked = Instant::now();
        assert!(gate.turn(client(2), deadline).await.is_some());
        assert!(
            Instant::now() - asked <= Duration::from_secs(1),
            "waited {:?}",
            Instant::now() - asked
        );
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    // The flood still gets the rest: the ceiling is used, not wasted.
    let before = gate.granted();
    for _ in 0..60 {
        tokio::time::advance(Duration::from_secs(1)).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }
    let in_a_minute = gate.granted() - before;
    assert!((95..=120).contains(&in_a_minute), "{in_a_minute}");
    for q in queued {
        q.abort();
    }
}

/// A turn the gate cannot give before the deadline is refused at once: a flood of new
/// products answers `unknown` without waiting out the check's time.
#[tokio::test(start_paused = true)]
async fn a_turn_that_cannot_come_in_time_is_refused_at_once() {
    // 60 a minute: a burst of 10, then 50 over the minute (one every 1.2 s).
    let gate = Gate::new("test", Ceiling::per_minute(60), 4);
    let far = Instant::now() + Duration::from_secs(3600);
    for _ in 0..10 {
        assert!(gate.turn(client(1), far).await.is_some());
    }
    let start = Instant::now();
    // The next call is 1.2 s away: with 0.5 s left it is refused, and no time passed.
    assert!(gate
        .turn(client(1), start + Duration::from_millis(500))
        .await
        .is_none());
    assert_eq!(Instant::now(), start);
    // With 3 s left it waits for its turn and gets it.
    assert!(gate
        .turn(client(1), start + Duration::from_secs(3))
        .await
        .is_some());
    let waited = Instant::now() - start;
    assert!(
        waited >= Duration::from_millis(1100) && waited <= Duration::from_secs(2),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn turns_alternate_between_waiting_clients() {
    let gate = Gate::new("test", Ceiling::per_minute(6), 4);
    let deadline = Instant::now() + Duration::from_secs(3600);
    // Use up the minute.
    for _ in 0..6 {
        assert!(gate.turn(client(1), deadline).await.is_some());
    }
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for (c, n) in [(1u8, 4), (2u8, 4)] {
        for _ in 0..n {
            let (gate, order) = (gate.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                if gate.turn(client(c), deadline).await.is_some() {
                    lock(&order).push(c);
                }
            }));
            tokio::task::yield_now().await;
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let order = lock(&order).clone();
    assert_eq!(order.len(), 8);
    // Client 2 had used nothing: it is served first, and never twice behind client 1's lead.
    assert_eq!(order[0], 2, "{order:?}");
    let twos_in_first_half = order[..4]
        .iter()
        .map(|c| usize::from(*c == 2))
        .sum::<usize>();
    assert!(twos_in_first_half >= 2, "{order:?}");
}

#[tokio::test(start_paused = true)]
async fn a_turn_not_given_in_time_is_refused_and_leaves_the_queue() {
    let gate = Gate::new("test", Ceiling::per_minute(1), 4);
    let soon = Instant::now() + Duration::from_millis(500);
    assert!(gate.turn(client(1), soon).await.is_some());
    assert!(gate.turn(client(1), soon).await.is_none());
    tokio::time::advance(Duration::from_millis(10)).await;
    assert_eq!(gate.waiting(), 0);
}

#[tokio::test(start_paused = true)]
async fn calls_under_way_are_bounded_and_one_place_stays_for_others() {
    let gate = Gate::new("test", Ceiling::per_minute(600), 3);
    let deadline = Instant::now() + Duration::from_secs(10);
    let first = gate.turn(client(1), deadline).await.unwrap();
    let second = gate.turn(client(1), deadline).await.unwrap();
    // Client 1 is now the heaviest: the last place stays for another client.
    let soon = Instant::now() + Duration::from_millis(100);
    assert!(gate.turn(client(1), soon).await.is_none());
    let other = gate.turn(client(2), soon).await.expect("the kept place");
    assert!(
        gate.turn(client(3), soon).await.is_none(),
        "all three under way"
    );
    drop(first);
    assert!(
        gate.turn(client(3), deadline).await.is_some(),
        "a freed place serves the next"
    );
    drop((second, other));
}

#[tokio::test(start_paused = true)]
async fn a_daily_ceiling_stops_the_source_for_the_day() {
    let gate = Gate::new(
        "test",
        Ceiling {
            per_minute: 600,
            per_day: Some(3),
        },
        4,
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    for _ in 0..3 {
        assert!(gate.turn(client(1), deadline).await.is_some());
    }
    assert!(gate.turn(client(2), deadline).await.is_none());
}

/// The day of a daily ceiling is the server's clock's: spent at 23:59:50 UTC, the source is
/// open again ten seconds later, at midnight.
#[tokio::test(start_paused = true)]
async fn a_daily_ceiling_opens_again_at_midnight_utc() {
    let clock = Clock::manual(
        crate::domain::date::Timestamp::parse("2026-12-07T23:59:50Z").expect("a time"),
    );
    let gate = Gate::with_clock(
        "test",
        Ceiling {
            per_minute: 600,
            per_day: Some(2),
        },
        4,
        clock.clone(),
    );
    let deadline = || Instant::now() + Duration::from_secs(5);
    for _ in 0..2 {
        drop(
            gate.turn(client(1), deadline())
                .await
                .expect("within the day"),
        );
    }
    assert!(gate.turn(client(1), deadline()).await.is_none(), "spent");
    clock.advance(9);
    assert!(gate.turn(client(1), deadline()).await.is_none(), "23:59:59");
    clock.advance(1);
    assert!(
        gate.turn(client(1), deadline()).await.is_some(),
        "a new day at 00:00:00"
    );
}

/// Calls `client` is granted in `span` of paused time, asking again as soon as it may.
async fn granted_in(gate: &Arc<Gate>, client: Client, span: Duration) -> usize {
    let end = Instant::now() + span;
    let mut n = 0;
    while Instant::now() < end {
        match gate.turn(client, end).await {
            Some(turn) => {
                n += 1;
                drop(turn);
            }
            None => break,
        }
    }
    n
}

#[tokio::test(start_paused = true)]
async fn the_rounds_take_at_most_half_a_ceiling() {
    let gate = Gate::new("test", Ceiling::per_minute(120), 4);
    let n = granted_in(&gate, Client::Rounds, Duration::from_secs(600)).await;
    // Ten minutes of a 120-a-minute ceiling: at most half (600), the burst's half aside.
    assert!(n <= 600 + 10, "{n} calls");
    // Half the bucket's steady pace: (120 - 20) / 2 a minute, with half its burst.
    assert!(n >= 500, "the rounds get their half: {n}");
    // A client alone still finds the other half of the bucket.
    assert!(gate.turn(client(1), Instant::now()).await.is_some());
}

#[tokio::test(start_paused = true)]
async fn the_rounds_keep_half_a_daily_ceiling_for_the_clients() {
    let gate = Gate::new(
        "test",
        Ceiling {
            per_minute: 6000,
            per_day: Some(20),
        },
        4,
    );
    let n = granted_in(&gate, Client::Rounds, Duration::from_secs(60)).await;
    assert_eq!(n, 10, "half the day's 20");
    assert_eq!(
        granted_in(&gate, client(1), Duration::from_secs(60)).await,
        10
    );
}

#[tokio::test(start_paused = true)]
async fn a_waiting_client_goes_before_the_rounds() {
    let gate = Gate::new("test", Ceiling::per_minute(12), 4);
    // Spend the bucket: the rounds their half, a client the rest.
    while gate.turn(Client::Rounds, Instant::now()).await.is_some() {}
    while gate.turn(client(1), Instant::now()).await.is_some() {}
    let deadline = Instant::now() + Duration::from_secs(120);
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for (who, c) in [("rounds", Client::Rounds), ("client", client(2))] {
        let (gate, order) = (gate.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            if gate.turn(c, deadline).await.is_some() {
                lock(&order).push(who);
            }
        }));
        // The rounds ask first.
        tokio::task::yield_now().await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*lock(&order), ["client", "rounds"]);
}
