//! No change without its record: when Roster's storage cannot be written, nothing reaches
//! Slack unrecorded, answers tell the truth, reads go on, and everything is written once
//! the storage works again.
//!
//! Each test runs on SQLite and on PostgreSQL. On SQLite the full-disk test puts
//! `data_dir` on a small tmpfs and fills it when it runs as root (mounting needs it);
//! elsewhere it makes every write fail behind the `Db` type instead. On PostgreSQL the
//! database goes away: Roster reaches it through a relay the test cuts.

mod common;

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::{Duration, Instant},
};

use common::*;
use roster_api::{AuditOutcome, UserStatus, UserType};
use roster_proxy::db::WriteFault;
use serde_json::{Value, json};
use sqlx::{ConnectOptions, sqlite::SqliteConnectOptions};

/// A small tmpfs, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn filler(&self) -> PathBuf {
        self.path().join("filler")
    }

    /// Fills the disk to the last byte.
    fn fill(&self) {
        use std::io::Write;
        let mut file = std::fs::File::create(self.filler()).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        loop {
            if file.write_all(&chunk).is_err() {
                break;
            }
        }
        let one = [0u8; 1];
        while file.write_all(&one).is_ok() {}
        let _ = file.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: the app's database may still be open while the test ends.
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// How the test makes the storage fail.
enum Failure {
    Disk(SmallDisk),
    Injected,
    /// PostgreSQL out of reach.
    Database(Relay),
}

/// The app's storage for `kind`, reached through a relay for PostgreSQL; `None` when no
/// PostgreSQL cluster is given (see `postgres_database`).
async fn storage(kind: Kind) -> Option<(Storage, Option<Relay>)> {
    match kind {
        Kind::Sqlite => Some((Storage::Sqlite, None)),
        Kind::Postgres => {
            let options = postgres_database().await?;
            let upstream = tokio::net::lookup_host((options.get_host(), options.get_port()))
                .await
                .unwrap()
                .next()
                .unwrap();
            let relay = Relay::start(upstream).await;
            let through = options.host("127.0.0.1").port(relay.addr.port());
            Some((Storage::Postgres(Box::new(through)), Some(relay)))
        }
    }
}

on_both!(
    a_full_disk_refuses_changes_before_slack_keeps_reads_and_recovers,
    an_outcome_that_cannot_be_written_is_told_kept_and_written_before_the_next_change,
    outcomes_spooled_before_a_restart_are_written_after_it
);

impl Failure {
    async fn start(&self, app: &TestApp) {
        match self {
            Failure::Disk(disk) => {
                // SQLite reuses its WAL file's space after a checkpoint: empty it first, so
                // the next write needs new space like any write on a full disk would.
                let mut conn = SqliteConnectOptions::from_str(&format!(
                    "sqlite://{}",
                    app.data_dir.join("roster.db").display()
                ))
                .unwrap()
                .connect()
                .await
                .unwrap();
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                drop(conn);
                disk.fill();
            }
            Failure::Injected => app.state.db.inject(Some(WriteFault::Everything)),
            Failure::Database(relay) => relay.cut(),
        }
    }

    fn stop(&self, app: &TestApp) {
        match self {
            Failure::Disk(disk) => disk.free(),
            Failure::Injected => app.state.db.inject(None),
            Failure::Database(relay) => relay.restore(),
        }
    }
}

async fn eventually(what: &str, secs: u64, mut f: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within {secs} s");
}

fn member(app: &TestApp, n: usize) -> String {
    let mut seen = 0;
    let all = app.state.directory.query(
        &roster_api::UserQuery {
            limit: Some(1000),
            ..Default::default()
        },
        &Everyone,
    );
    for u in all.users {
        if u.user_type == UserType::Member
            && u.status == UserStatus::Active
            && !u.is_primary_owner
            && !u.workspaces.is_empty()
        {
            if seen == n {
                return u.id;
            }
            seen += 1;
        }
    }
    panic!("no member {n}")
}

async fn make_admin(app: &TestApp, user: &str) -> (u16, Value, Option<String>) {
    let workspace = app.state.directory.get(user).unwrap().summary.workspaces[0].clone();
    let r = app
        .http
        .post(format!("{}/api/users/{user}/role", app.url))
        .header("cookie", "roster_demo_role=org-admin")
        .header("x-roster-request", "1")
        .header("origin", app.origin())
        .json(&json!({"workspace": workspace, "role": "admin"}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, r.json().await.unwrap_or(Value::Null), retry)
}

async fn a_full_disk_refuses_changes_before_slack_keeps_reads_and_recovers(kind: Kind) {
    let Some((storage, relay)) = storage(kind).await else {
        return;
    };
    let (data_dir, failure) = match relay {
        Some(relay) => (None, Failure::Database(relay)),
        None => match SmallDisk::mount() {
            Some(disk) => (Some(disk.path().to_path_buf()), Failure::Disk(disk)),
            None => {
                eprintln!("not root: the storage failure is injected behind Db");
                (None, Failure::Injected)
            }
        },
    };
    // Roster paces the job at Slack's Tier 2 (a burst of 20, then one every 3 s): row 21
    // starts once the disk is full (or the database gone).
    let app = spawn_app(Options {
        data_dir,
        storage,
        ..Options::default()
    })
    .await;
    let team = app.workspace(0);
    let channel = app.channel_on(&team);
    let ops: Vec<Value> = (0..22)
        .map(|i| {
            json!({"op": "invite", "email": format!("full{i:02}@agency.example"), "workspace": team,
                   "channels": [channel], "guest": "multi_channel"})
        })
        .collect();
    let (status, job) = app.post("/api/jobs", json!({"operations": ops})).await;
    assert_eq!(status, 201, "{job}");
    let job = job["job"]["id"].as_i64().unwrap();
    eventually("the burst of 20 invitations", 30, async || {
        app.sandbox.sandbox.handled("admin.users.invite") == 20
    })
    .await;

    failure.start(&app).await;

    // A single change: refused before Slack hears of it, plainly, with Retry-After.
    let user = member(&app, 0);
    let (status, body, retry) = make_admin(&app, &user).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "storage_unavailable");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("Nothing was changed"), "{message}");
    if matches!(failure, Failure::Disk(_)) {
        assert!(message.contains("storage is full"), "{message}");
    }
    assert_eq!(retry.as_deref(), Some("30"));
    assert_eq!(app.sandbox.sandbox.handled("admin.users.setAdmin"), 0);

    // The job's next row does not run either, however long it waits.
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(app.sandbox.sandbox.handled("admin.users.invite"), 20);

    // Reads go on (from memory: with the database away, what lives only in it says so);
    // the operators are told.
    let (status, _) = app.get("/api/users?limit=5").await;
    assert_eq!(status, 200);
    let (status, detail) = app.get(&format!("/api/jobs/{job}")).await;
    if matches!(failure, Failure::Database(_)) {
        assert_eq!(status, 503, "{detail}");
        assert_eq!(detail["error"]["code"], "storage_unavailable", "{detail}");
    } else {
        assert_eq!(status, 200, "{detail}");
    }
    let (_, status_body) = app.get("/api/status").await;
    assert!(
        status_body["changes_refused"]
            .as_str()
            .is_some_and(|m| m.contains("Roster cannot record changes")),
        "{status_body}"
    );
    let ready: Value = app
        .http
        .get(format!("{}/readyz", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["ready"], true, "reads are still served: {ready}");
    assert_eq!(ready["changes"], false, "{ready}");
    assert!(app.metrics().await.contains("roster_storage_writable 0"));

    failure.stop(&app);

    // The job finishes on its own, every row exactly once.
    eventually("the job to finish", 90, async || {
        let (_, d) = app.get(&format!("/api/jobs/{job}")).await;
        d["job"]["state"] == "finished"
    })
    .await;
    assert_eq!(app.sandbox.sandbox.handled("admin.users.invite"), 22);
    let outbox = app.sandbox.sandbox.outbox();
    for i in 0..22 {
        let email = format!("full{i:02}@agency.example");
        assert_eq!(
            outbox.iter().filter(|s| s.email == email).count(),
            1,
            "{email}"
        );
    }
    // The next change goes through and is in the audit log.
    let (status, body, _) = make_admin(&app, &user).await;
    assert_eq!(status, 200, "{body}");
    let id = body["audit_id"].as_i64().unwrap();
    let rows = app.audit_rows().await;
    let row = rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(row.outcome, AuditOutcome::Ok);
    assert!(app.metrics().await.contains("roster_storage_writable 1"));
}

async fn an_outcome_that_cannot_be_written_is_told_kept_and_written_before_the_next_change(
    kind: Kind,
) {
    let Some((storage, _relay)) = storage(kind).await else {
        return;
    };
    let app = spawn_app(Options {
        storage,
        ..Options::default()
    })
    .await;
    app.state.db.inject(Some(WriteFault::Outcomes));

    // Slack made the change: the answer says so, and that the record waits.
    let user = member(&app, 1);
    let (status, body, _) = make_admin(&app, &user).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["record_pending"], true, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Slack made this change"),
        "{body}"
    );
    assert_eq!(app.sandbox.sandbox.handled("admin.users.setAdmin"), 1);
    let id = body["audit_id"].as_i64().unwrap();
    let outcome =
        |rows: &[roster_api::AuditEntry]| rows.iter().find(|r| r.id == id).unwrap().outcome;
    assert_eq!(outcome(&app.audit_rows().await), AuditOutcome::Pending);
    assert_eq!(app.state.audit.waiting(), 1);
    assert!(
        app.metrics()
            .await
            .contains("roster_audit_outcomes_waiting 1")
    );
    // It waits beside the database too, for a restart.
    let spool = std::fs::read_to_string(app.state.db.spool()).unwrap();
    assert!(spool.contains(&format!("\"action_id\":{id}")), "{spool}");

    // No other change is accepted before the record is written.
    let other = member(&app, 2);
    let (status, body, _) = make_admin(&app, &other).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(app.sandbox.sandbox.handled("admin.users.setAdmin"), 1);

    // Once the storage works, the record is written first.
    app.state.db.inject(None);
    let (status, body, _) = make_admin(&app, &other).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(outcome(&app.audit_rows().await), AuditOutcome::Ok);
    assert_eq!(app.state.audit.waiting(), 0);
    assert_eq!(std::fs::read_to_string(app.state.db.spool()).unwrap(), "");

    // A job row whose record cannot be written is not run again: it is checked with Slack.
    app.state.db.inject(Some(WriteFault::Outcomes));
    let third = member(&app, 3);
    let workspace = app.state.directory.get(&third).unwrap().summary.workspaces[0].clone();
    let (status, job) = app
        .post(
            "/api/jobs",
            json!({"operations": [{"op": "set_role", "user": third, "workspace": workspace, "role": "admin"}]}),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let job = job["job"]["id"].as_i64().unwrap();
    eventually("the row's call", 30, async || {
        app.sandbox.sandbox.handled("admin.users.setAdmin") == 3
    })
    .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (_, detail) = app.get(&format!("/api/jobs/{job}")).await;
    assert_ne!(detail["operations"][0]["state"], "done", "{detail}");
    app.state.db.inject(None);
    eventually("the job to finish", 60, async || {
        let (_, d) = app.get(&format!("/api/jobs/{job}")).await;
        d["job"]["state"] == "finished" && d["operations"][0]["state"] == "done"
    })
    .await;
    assert_eq!(
        app.sandbox.sandbox.handled("admin.users.setAdmin"),
        3,
        "the row ran twice"
    );
    let rows = app.audit_rows().await;
    assert!(
        rows.iter().any(|r| r.action == "check_outcome"),
        "checked with Slack"
    );
    assert_eq!(app.state.audit.waiting(), 0);
}

async fn outcomes_spooled_before_a_restart_are_written_after_it(kind: Kind) {
    let Some((storage, _relay)) = storage(kind).await else {
        return;
    };
    let keep = tempfile::tempdir().unwrap();
    let first = spawn_app(Options {
        data_dir: Some(keep.path().to_path_buf()),
        storage: storage.clone(),
        ..Options::default()
    })
    .await;
    first.state.db.inject(Some(WriteFault::Outcomes));
    let user = member(&first, 4);
    let (status, body, _) = make_admin(&first, &user).await;
    assert_eq!(status, 200, "{body}");
    let id = body["audit_id"].as_i64().unwrap();
    let crashed = first.crash();
    let again = spawn_app_on(
        crashed.sandbox,
        crashed.data,
        Options {
            data_dir: Some(keep.path().to_path_buf()),
            storage,
            ..Options::default()
        },
    )
    .await;
    assert_eq!(again.state.audit.waiting(), 1, "read back from the spool");
    again.state.audit.recover().await.unwrap();
    let rows = again.audit_rows().await;
    assert_eq!(
        rows.iter().find(|r| r.id == id).unwrap().outcome,
        AuditOutcome::Ok
    );
}
