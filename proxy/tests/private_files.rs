//! Roster's data directory is private whatever the umask: the directory 0700, the audit
//! database with its WAL and shared-memory files and the directory snapshot 0600. Its own
//! test binary, because it sets the process's umask.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;
use serde_json::json;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn data_files_are_private_whatever_the_umask() {
    // The most permissive umask: every mode below is Roster's own doing.
    rustix::process::umask(rustix::fs::Mode::empty());
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("state");
    let app = spawn_app(Options {
        users: 40,
        data_dir: Some(data_dir.clone()),
        ..Options::default()
    })
    .await;
    // A change: the audit log writes its WAL.
    let (status, body) = app
        .post_as(
            "helpdesk",
            "/api/users/W0NOPE000/remove",
            json!({"workspace": "T0NOPE000"}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(!app.audit_rows().await.is_empty());
    app.state.directory.persist();

    assert_eq!(mode(&data_dir), 0o700, "{}", data_dir.display());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&data_dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        names.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    names.sort();
    for expected in [
        "directory.json",
        "roster.db",
        "roster.db-shm",
        "roster.db-wal",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }

    // Files an older Roster left readable are made private when the log is opened again.
    drop(app);
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = data_dir.join("roster.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    roster_proxy::db::Db::open(&db).await.unwrap();
    assert_eq!(mode(&data_dir), 0o700);
    assert_eq!(mode(&db), 0o600);
}
