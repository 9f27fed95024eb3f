//! The API as published: `GET /api/openapi.json` may only grow. Every path, operation,
//! parameter, schema and property in `fixtures/openapi.json` must still be there with the
//! same definition; additions are fine. A deliberate change is made by updating the fixture
//! in the same commit (`ROSTER_UPDATE_OPENAPI=1 cargo test -p roster-proxy --test openapi`),
//! where review sees it.

mod common;

use common::*;
use serde_json::Value;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openapi.json");

/// Where `old` is not contained in `new`: objects may gain keys, everything else is equal.
fn missing(old: &Value, new: &Value, at: &str, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, v) in o {
                let here = format!("{at}/{k}");
                match n.get(k) {
                    Some(nv) => missing(v, nv, &here, out),
                    None => out.push(format!("{here}: removed")),
                }
            }
        }
        _ if old == new => {}
        _ => out.push(format!("{at}: was {old}, is {new}")),
    }
}

#[tokio::test]
async fn the_published_api_only_grows() {
    let app = spawn_app(Options {
        users: 20,
        ..Options::default()
    })
    .await;
    let (status, live) = app.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    if std::env::var_os("ROSTER_UPDATE_OPENAPI").is_some() {
        std::fs::write(FIXTURE, serde_json::to_string_pretty(&live).unwrap() + "\n").unwrap();
    }
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let mut out = Vec::new();
    missing(&fixture, &live, "", &mut out);
    assert!(
        out.is_empty(),
        "the API changed in a way clients notice:\n{}",
        out.join("\n")
    );
}
