//! A busy help desk: 16 people browse one org at once (80% list queries, 20% a person's
//! detail, a short pause between clicks) while a bulk job runs, against `roster sandbox`
//! with Slack's limits on a faster clock. A person's detail is timed to its first answer
//! (what the page shows at once) and to the answer with every live part (what the page
//! fills in), and the Slack calls details cost are counted from Roster's `/metrics`.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use roster_e2e::processes::{
    OTHER_ADMINS, RosterClient, other_admin, sandbox, serve, serve_config,
};
use serde_json::{Value, json};

use crate::{
    Scale,
    report::{Row, quantile},
};

/// Slack's limits run this many times faster, in the sandbox and in Roster's pacing.
const CLOCK: f64 = 20.0;
/// People browsing at once.
const PEOPLE: usize = 16;
/// Pause between one answer and a person's next click: short enough that the details
/// asked for exceed what Slack's Tier 3 allows (50 a minute, on the faster clock).
const THINK: Duration = Duration::from_millis(50);
/// The Slack methods a person's detail calls.
const DETAIL_METHODS: [&str; 4] = [
    "users.info",
    "users.getPresence",
    "users.conversations",
    "admin.users.getExpiration",
];
const METRICS_TOKEN: &str = "roster-bench-metrics-token-0123456789";

/// A small deterministic random sequence, one per person.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

#[derive(Default)]
struct Samples {
    lists: Vec<f64>,
    first_answers: Vec<f64>,
    complete: Vec<f64>,
    details: usize,
    partial: usize,
    not_refreshed: usize,
}

/// Slack calls of the detail's methods Roster has made, from `/metrics`.
async fn detail_calls(http: &reqwest::Client, url: &str) -> u64 {
    let text = http
        .get(format!("{url}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            DETAIL_METHODS
                .iter()
                .any(|m| l.starts_with(&format!("roster_slack_calls_total{{method=\"{m}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// One person: clicks until `until`, recording into `samples`.
async fn browse(
    person: RosterClient,
    seed: u64,
    ids: Arc<Vec<String>>,
    until: Instant,
    samples: Arc<Mutex<Samples>>,
) {
    let lists = [
        "",
        "q=ana",
        "q=li",
        "type=multi_channel_guest&sort=expires",
        "status=active&sort=created&dir=desc",
        "has_2fa=false",
        "q=mar&sort=email",
        "sort=name&offset=400&limit=200",
    ];
    let mut dice = Dice(seed);
    while Instant::now() < until {
        if dice.next(5) == 0 {
            let id = &ids[dice.next(ids.len())];
            let path = format!("/api/users/{id}");
            let t = Instant::now();
            let mut detail = person.get(&path).await;
            let first = t.elapsed().as_secs_f64() * 1e3;
            let partial = detail.get("refresh_after_ms").is_some();
            // The page asks again for what is still loading, as the console does.
            let mut asks = 1;
            while let Some(ms) = detail["refresh_after_ms"].as_u64() {
                if asks >= 10 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(ms)).await;
                detail = person.get(&path).await;
                asks += 1;
            }
            let complete = t.elapsed().as_secs_f64() * 1e3;
            let not_refreshed = detail["warnings"]
                .as_array()
                .is_some_and(|w| w.iter().any(|w| w.as_str().unwrap_or("").contains("limit")));
            let mut s = samples.lock().unwrap();
            s.details += 1;
            s.first_answers.push(first);
            s.complete.push(complete);
            s.partial += usize::from(partial);
            s.not_refreshed += usize::from(not_refreshed);
        } else {
            let query = lists[dice.next(lists.len())];
            let t = Instant::now();
            person.get(&format!("/api/users?{query}")).await;
            let took = t.elapsed().as_secs_f64() * 1e3;
            samples.lock().unwrap().lists.push(took);
        }
        tokio::time::sleep(THINK).await;
    }
}

pub async fn measure(scale: Scale) -> Vec<Row> {
    let users: usize = if scale.quick { 5_000 } else { 20_000 };
    let job_rows = if scale.quick { 60 } else { 200 };
    let (_sandbox, base) = sandbox(&[
        "--users",
        &users.to_string(),
        "--rate-limits",
        &format!("scale={CLOCK}"),
    ]);
    let data = tempfile::tempdir().unwrap();
    let config = serve_config(data.path(), &base, CLOCK);
    let token_file = data.path().join("metrics-token");
    std::fs::write(&token_file, METRICS_TOKEN).unwrap();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replacen(
        "[auth]",
        &format!("[metrics]\ntoken_file = {token_file:?}\n\n[auth]"),
        1,
    );
    std::fs::write(&config, text).unwrap();
    let (_roster, url) = serve(&config);
    let client = RosterClient::new(url.clone());
    client.wait_for_sync(600).await;

    // The people browsed: active members and guests, spread over the org.
    let mut ids = client
        .user_ids("status=active&type=member&limit=1000")
        .await;
    ids.extend(
        client
            .user_ids("status=active&type=multi_channel_guest&limit=200")
            .await,
    );
    let ids = Arc::new(ids);

    // The job: invitations, Tier 2, paced for the whole run.
    let workspaces = client.get("/api/workspaces").await;
    let team = workspaces[0]["id"].as_str().unwrap().to_string();
    let channels = client
        .get(&format!("/api/workspaces/{team}/channels?q=general"))
        .await;
    let channel = channels[0]["id"].as_str().unwrap().to_string();
    let operations: Vec<Value> = (0..job_rows)
        .map(|i| {
            json!({"op": "invite", "email": format!("load{i:04}@agency.example"),
                   "workspace": team, "channels": [channel], "guest": "multi_channel"})
        })
        .collect();
    let http = reqwest::Client::new();
    let calls_before = detail_calls(&http, &url).await;
    let started = Instant::now();
    let (status, created) = client
        .post("/api/jobs", json!({"operations": operations}))
        .await;
    assert_eq!(status, 201, "{created}");
    let job = created["job"]["id"].as_i64().unwrap();

    let duration = if scale.quick {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(30)
    };
    let until = Instant::now() + duration;
    let samples = Arc::new(Mutex::new(Samples::default()));
    let people: Vec<RosterClient> = std::iter::once(client.clone())
        .chain((1..=OTHER_ADMINS).map(|n| client.as_person(other_admin(n))))
        .take(PEOPLE)
        .collect();
    assert_eq!(people.len(), PEOPLE, "one sign-in per person");
    let runs: Vec<_> = people
        .into_iter()
        .enumerate()
        .map(|(i, person)| {
            tokio::spawn(browse(
                person,
                0x9E37_79B9 + i as u64,
                ids.clone(),
                until,
                samples.clone(),
            ))
        })
        .collect();
    for run in runs {
        run.await.unwrap();
    }
    let browsing = started.elapsed().as_secs_f64();
    let job = client.get(&format!("/api/jobs/{job}")).await;
    let calls = detail_calls(&http, &url).await - calls_before;
    let mut s = Arc::try_unwrap(samples).ok().unwrap().into_inner().unwrap();

    // Then one person bursts (115 details at once, every 1.5 s) while the 15 others
    // browse: Slack's lanes are served in turn across people, so the others' details keep
    // their pace.
    let until = Instant::now() + duration;
    let others = Arc::new(Mutex::new(Samples::default()));
    let mut people = std::iter::once(client.clone())
        .chain((1..=OTHER_ADMINS).map(|n| client.as_person(other_admin(n))))
        .take(PEOPLE);
    let burster = people.next().unwrap();
    let burst = tokio::spawn(burst_details(burster, ids.clone(), until));
    let runs: Vec<_> = people
        .enumerate()
        .map(|(i, person)| {
            tokio::spawn(browse(
                person,
                0x7F4A_7C15 + i as u64,
                ids.clone(),
                until,
                others.clone(),
            ))
        })
        .collect();
    for run in runs {
        run.await.unwrap();
    }
    let (asked, held_back) = burst.await.unwrap();
    let mut o = Arc::try_unwrap(others).ok().unwrap().into_inner().unwrap();
    let setting = format!(
        "{PEOPLE} people, {} users, 80% lists / 20% details, {} ms between clicks, a {job_rows}-row job, ×{CLOCK:.0} clock, {browsing:.0} s",
        roster_e2e::thousands(users as u64),
        THINK.as_millis()
    );
    let job_done = job["job"]["counts"]["done"].as_u64().unwrap_or(0);
    vec![
        Row::new(
            "busy help desk: list queries (p99)",
            quantile(&mut s.lists, 0.99),
            "ms",
            100.0,
        )
        .samples(s.lists.len())
        .detail(format!(
            "{setting}; p50 {:.1} ms; the job did {job_done} of {job_rows} rows meanwhile",
            quantile(&mut s.lists, 0.5)
        )),
        Row::new(
            "busy help desk: a person's detail, first answer (p99)",
            quantile(&mut s.first_answers, 0.99),
            "ms",
            500.0,
        )
        .samples(s.details)
        .detail(format!(
            "p50 {:.0} ms; {} of {} first answers still filling in; every live part there after p50 {:.0} / p99 {:.0} ms; {} said a part was not refreshed (Slack's limit); {calls} Slack calls for {} details ({:.2} each; 3 or more each without reuse)",
            quantile(&mut s.first_answers, 0.5),
            s.partial,
            s.details,
            quantile(&mut s.complete, 0.5),
            quantile(&mut s.complete, 0.99),
            s.not_refreshed,
            s.details,
            calls as f64 / s.details.max(1) as f64,
        )),
        Row::new(
            "busy help desk, one person bursting: the others' detail, first answer (p99)",
            quantile(&mut o.first_answers, 0.99),
            "ms",
            500.0,
        )
        .samples(o.details)
        .detail(format!(
            "one person opens 115 details at once every 1.5 s while {} others browse as above; \
             the others: p50 {:.0} ms, every live part there after p50 {:.0} / p99 {:.0} ms, \
             {} of {} details said a part was not refreshed (Slack's limit); the burst: {asked} \
             details asked, {held_back} of them held back (a part not asked for, or 429)",
            PEOPLE - 1,
            quantile(&mut o.first_answers, 0.5),
            quantile(&mut o.complete, 0.5),
            quantile(&mut o.complete, 0.99),
            o.not_refreshed,
            o.details,
        )),
    ]
}

/// One person opening 115 people at once, every 1.5 s, until `until`. Returns how many
/// details it asked for and how many were held back by its share of Slack's pace.
async fn burst_details(
    person: RosterClient,
    ids: Arc<Vec<String>>,
    until: Instant,
) -> (usize, usize) {
    let mut dice = Dice(0xB5AD_4ECE);
    let (mut asked, mut held_back) = (0, 0);
    while Instant::now() < until {
        let started = Instant::now();
        let answers = futures_util::future::join_all((0..115).map(|_| {
            let path = format!("/api/users/{}", ids[dice.next(ids.len())]);
            let person = person.clone();
            async move { person.get_status(&path).await }
        }))
        .await;
        for (status, body) in answers {
            asked += 1;
            let limited = body["warnings"]
                .as_array()
                .is_some_and(|w| w.iter().any(|w| w.as_str().unwrap_or("").contains("limit")));
            if status == 429 || limited {
                held_back += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(1_500).saturating_sub(started.elapsed())).await;
    }
    (asked, held_back)
}
