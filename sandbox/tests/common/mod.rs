//! Helpers shared by the sandbox's tests.
#![allow(dead_code)]

use roster_sandbox::{
    Sandbox, SandboxConfig, SlackReply,
    ratelimit::RateLimitMode,
    request::{Args, Call},
};
use serde_json::Value;

/// Fixed so expirations in the tests are in the future.
pub const EPOCH: i64 = 4_000_000_000;

/// A sandbox of `users` users with rate limits off.
pub fn sandbox(users: usize) -> Sandbox {
    Sandbox::new(SandboxConfig {
        users,
        seed: 11,
        workspaces: 3,
        rate_limits: RateLimitMode::Off,
        admin_token: None,
        epoch: Some(EPOCH),
        avatar_base: "https://avatars.example".into(),
        events: Default::default(),
    })
}

/// Calls `method` with string arguments; `Ok(body)` or `Err(error code)`.
pub fn call(
    sb: &Sandbox,
    method: &str,
    token: &str,
    args: &[(&str, &str)],
) -> Result<Value, String> {
    let call = Call {
        token: Some(token.to_string()),
        args: Args::from_pairs(args.iter().copied()),
        json_body: false,
    };
    match sb.handle(method, &call) {
        SlackReply::Ok(text) => {
            let v: Value = serde_json::from_str(&text).expect("a JSON reply");
            assert_eq!(v["ok"], true);
            Ok(v)
        }
        SlackReply::Fail(f) => Err(f.code.to_string()),
        other => panic!("{method}: unexpected reply {other:?}"),
    }
}

/// Calls `method` with a JSON body's arguments; `Ok(body)` or `Err(error code)`.
pub fn call_json(sb: &Sandbox, method: &str, token: &str, args: Value) -> Result<Value, String> {
    let Value::Object(object) = args else {
        panic!("JSON arguments are an object");
    };
    let call = Call {
        token: Some(token.to_string()),
        args: Args::from_json(object).expect("valid argument names"),
        json_body: true,
    };
    match sb.handle(method, &call) {
        SlackReply::Ok(text) => Ok(serde_json::from_str(&text).expect("a JSON reply")),
        SlackReply::Fail(f) => Err(f.code.to_string()),
        other => panic!("{method}: unexpected reply {other:?}"),
    }
}

/// The full error body of a failed call (`Fail` with its extra fields).
pub fn fail_body(sb: &Sandbox, method: &str, token: &str, args: &[(&str, &str)]) -> Value {
    let call = Call {
        token: Some(token.to_string()),
        args: Args::from_pairs(args.iter().copied()),
        json_body: false,
    };
    match sb.handle(method, &call) {
        SlackReply::Fail(f) => {
            let mut body = f.extra;
            body.insert("error".into(), Value::String(f.code.to_string()));
            Value::Object(body)
        }
        other => panic!("{method}: expected a failure, got {other:?}"),
    }
}

/// Calls with the org-admin token and expects success.
pub fn admin(sb: &Sandbox, method: &str, args: &[(&str, &str)]) -> Value {
    let token = sb.tokens().org_admin.clone();
    call(sb, method, &token, args).unwrap_or_else(|e| panic!("{method} {args:?} failed: {e}"))
}

/// Calls with the org-admin token and expects this error.
pub fn admin_err(sb: &Sandbox, method: &str, args: &[(&str, &str)]) -> String {
    let token = sb.tokens().org_admin.clone();
    match call(sb, method, &token, args) {
        Ok(v) => panic!("{method} {args:?} succeeded: {v}"),
        Err(code) => code,
    }
}

/// Every user of an `admin.users.list` listing, following cursors.
pub fn list_all(sb: &Sandbox, extra: &[(&str, &str)]) -> Vec<Value> {
    let mut users = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut args: Vec<(&str, &str)> = vec![("limit", "100")];
        args.extend_from_slice(extra);
        if !cursor.is_empty() {
            args.push(("cursor", &cursor));
        }
        let page = admin(sb, "admin.users.list", &args);
        users.extend(page["users"].as_array().unwrap().iter().cloned());
        cursor = page["response_metadata"]["next_cursor"]
            .as_str()
            .unwrap()
            .to_string();
        if cursor.is_empty() {
            return users;
        }
    }
}

/// The `admin.users.list` row of one user, org-wide (active or not).
pub fn row(sb: &Sandbox, id: &str) -> Value {
    for active in ["true", "false"] {
        if let Some(u) = list_all(sb, &[("is_active", active)])
            .into_iter()
            .find(|u| u["id"] == id)
        {
            return u;
        }
    }
    panic!("{id} is not listed")
}
