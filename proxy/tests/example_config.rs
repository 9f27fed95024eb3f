//! `roster.example.toml` as shipped, against tokens shaped like each identity-aware proxy's
//! real ones, and the one spelling of each hidden field.

mod common;

use common::*;
use roster_proxy::{auth::Preset, config::Config, policy::Field};
use serde_json::{Value, json};

fn now() -> i64 {
    roster_proxy::directory::unix_now()
}

fn example_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../roster.example.toml")
}

/// A token shaped like `preset`'s real ones, for `email` (and `groups` where it sends them).
fn token_claims(
    preset: Preset,
    issuer: &str,
    audience: &str,
    email: &str,
    groups: &[&str],
) -> Value {
    let (iat, exp) = (now(), now() + 600);
    match preset {
        // Cloudflare Access: `aud` is a list; no groups in the assertion.
        Preset::Cloudflare => json!({
            "aud": [audience], "email": email, "exp": exp, "iat": iat, "nbf": iat,
            "iss": issuer, "type": "app", "identity_nonce": "6ei69kawdKzMIAPF",
            "sub": "7335d417-61da-459d-899c-0a01c76a2f94", "country": "NL"
        }),
        // Google IAP: no groups either.
        Preset::GoogleIap => json!({
            "aud": audience, "email": email, "exp": exp, "iat": iat, "iss": issuer,
            "sub": "accounts.google.com:113059345986045713478", "hd": "example.com",
            "google": {"access_levels": ["accessPolicies/1/accessLevels/corp"]}
        }),
        // Pomerium: email and groups (when the identity provider gives them).
        Preset::Pomerium => json!({
            "iss": issuer, "aud": audience, "sub": "CiQ5ZmE3", "user": "CiQ5ZmE3",
            "email": email, "groups": groups, "name": "Someone", "jti": "4a3b",
            "exp": exp, "iat": iat
        }),
        // oauth2-proxy passing the ID token: email, email_verified, groups.
        Preset::Oauth2Proxy => json!({
            "iss": issuer, "aud": audience, "azp": audience, "sub": "00u1abcd",
            "email": email, "email_verified": true, "groups": groups,
            "exp": exp, "iat": iat, "nonce": "n-0S6_WzA2Mj"
        }),
    }
}

fn preset_header(preset: Preset, token: &str) -> (&'static str, String) {
    match preset {
        Preset::Cloudflare => ("cf-access-jwt-assertion", token.to_string()),
        Preset::GoogleIap => ("x-goog-iap-jwt-assertion", token.to_string()),
        Preset::Pomerium => ("x-pomerium-jwt-assertion", token.to_string()),
        Preset::Oauth2Proxy => ("authorization", format!("Bearer {token}")),
    }
}

/// Someone signing in: email, groups, and the role they should get.
type Person = (&'static str, &'static [&'static str], Option<&'static str>);

#[tokio::test]
async fn the_example_configuration_gives_the_documented_roles_with_each_preset() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("example");
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, json!({"keys": [keys.jwk()]}).to_string()).unwrap();
    let jwks_env = jwks.display().to_string();
    // Only the signing keys change: the environment points them at the test key.
    let config = Config::load(&example_path(), |k| {
        (k == "ROSTER_AUTH_JWKS_FILE").then(|| jwks_env.clone())
    })
    .expect("the example loads");
    let issuer = config.auth.issuer.clone().unwrap();
    let audience = config.auth.audience.clone().unwrap();
    assert_eq!(config.auth.preset, Some(Preset::Cloudflare));

    // For each preset, (email, groups, role) as roster.example.toml documents them.
    let cases: [(Preset, &[Person]); 4] = [
        (
            Preset::Cloudflare,
            &[
                ("ada@example.com", &[], Some("org-admin")),
                ("hal@example.com", &[], Some("helpdesk")),
                ("alan@example.com", &[], Some("auditor")),
                ("eve@example.com", &[], None),
            ],
        ),
        (
            Preset::GoogleIap,
            &[
                ("grace@example.com", &[], Some("org-admin")),
                ("hal@example.com", &[], Some("helpdesk")),
            ],
        ),
        (
            Preset::Pomerium,
            &[
                (
                    "kim@example.com",
                    &["all-staff", "security-audit"],
                    Some("auditor"),
                ),
                ("lee@example.com", &["slack-admins"], Some("org-admin")),
                ("alan@example.com", &["all-staff"], Some("auditor")),
                ("eve@example.com", &["all-staff"], None),
            ],
        ),
        (
            Preset::Oauth2Proxy,
            &[
                ("max@example.com", &["it-helpdesk"], Some("helpdesk")),
                ("ada@example.com", &[], Some("org-admin")),
            ],
        ),
    ];
    for (preset, people) in cases {
        let mut auth = config.auth.clone();
        auth.preset = Some(preset);
        let app = spawn_app(Options {
            users: 20,
            auth_config: Some(auth),
            roles: Some(config.roles.clone()),
            ..Options::default()
        })
        .await;
        for (email, groups, role) in people.iter() {
            let token = keys.sign(&token_claims(preset, &issuer, &audience, email, groups));
            let (name, value) = preset_header(preset, &token);
            let r = app
                .http
                .get(format!("{}/api/me", app.url))
                .header(name, value)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let me: Value = r.json().await.unwrap_or(Value::Null);
            match role {
                Some(role) => {
                    assert_eq!(status, 200, "{preset:?} {email}: {me}");
                    assert_eq!(me["role"], *role, "{preset:?} {email} {groups:?}");
                }
                None => {
                    assert_eq!(status, 403, "{preset:?} {email}: {me}");
                    assert_eq!(me["error"]["code"], "no_role");
                }
            }
        }
        if preset == Preset::Oauth2Proxy {
            // An address the identity provider has not verified proves nothing.
            let mut claims = token_claims(preset, &issuer, &audience, "ada@example.com", &[]);
            claims["email_verified"] = json!(false);
            let (name, value) = preset_header(preset, &keys.sign(&claims));
            let r = app
                .http
                .get(format!("{}/api/me", app.url))
                .header(name, value)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "email_verified false");
        }
    }
}

#[test]
fn every_hidden_field_has_one_spelling() {
    let all = [
        Field::Email,
        Field::Phone,
        Field::Has2fa,
        Field::HasSso,
        Field::Presence,
        Field::Created,
        Field::Expires,
        Field::Title,
        Field::Activity,
    ];
    // A new field breaks this match until it is added to `all` above.
    for field in all {
        match field {
            Field::Email
            | Field::Phone
            | Field::Has2fa
            | Field::HasSso
            | Field::Presence
            | Field::Created
            | Field::Expires
            | Field::Title
            | Field::Activity => {}
        }
        let serde = serde_json::to_value(field).unwrap();
        assert_eq!(serde, field.as_str(), "{field:?}: serde and as_str differ");
        let parsed: Field = serde_json::from_value(json!(field.as_str()))
            .unwrap_or_else(|e| panic!("{:?} is refused in a configuration: {e}", field.as_str()));
        assert_eq!(parsed, field);
    }
    // The spellings the example documents, in a role.
    let roles = parse_roles(
        r#"[[roles]]
name = "narrow"
permissions = ["users.read"]
hidden_fields = ["email", "phone", "has_2fa", "has_sso", "presence", "created", "expires", "title",
                 "activity"]"#,
    );
    assert_eq!(roles[0].hidden_fields.len(), all.len());
}
