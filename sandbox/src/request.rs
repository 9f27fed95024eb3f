//! Turning an HTTP request into a Slack call: token and arguments, from the query
//! string, a form body or a JSON body, with Slack's errors for malformed requests.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, Method, header};
use serde_json::{Map, Value};

/// A Slack error: `{"ok": false, "error": code, ...extra}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fail {
    pub code: &'static str,
    /// Extra top-level fields (`needed`/`provided` for `missing_scope`).
    pub extra: Map<String, Value>,
}

impl Fail {
    /// A failure with just an error code.
    pub fn new(code: &'static str) -> Self {
        Self {
            code,
            extra: Map::new(),
        }
    }

    /// Adds a top-level field to the error body.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }
}

/// A parsed call: who calls and with what.
#[derive(Debug, Clone, Default)]
pub struct Call {
    pub token: Option<String>,
    pub args: Args,
    /// The arguments came in a JSON body.
    pub json_body: bool,
}

/// Arguments by name. Query-string and form values are strings; JSON keeps its types.
#[derive(Debug, Clone, Default)]
pub struct Args(BTreeMap<String, Value>);

const MAX_ARG_NAME: usize = 64;

impl Args {
    /// Arguments from name/value pairs (tests and form bodies).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Args(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect(),
        )
    }

    /// Arguments from a JSON object, as a JSON body carries them (tests).
    pub fn from_json(object: Map<String, Value>) -> Result<Self, Fail> {
        let mut args = Args::default();
        for (k, v) in object {
            args.insert_checked(k, v)?;
        }
        Ok(args)
    }

    fn insert_checked(&mut self, name: String, value: Value) -> Result<(), Fail> {
        if name.contains('[') {
            return Err(Fail::new("invalid_array_arg"));
        }
        if name.is_empty()
            || name.len() > MAX_ARG_NAME
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Fail::new("invalid_arg_name"));
        }
        self.0.insert(name, value);
        Ok(())
    }

    /// A raw argument, if present.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A string argument; empty counts as absent. Arrays give `invalid_array_arg`.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, Fail> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(Value::Array(_)) => Err(Fail::new("invalid_array_arg")),
            Some(Value::Object(_)) => Err(Fail::new("invalid_arguments")),
        }
    }

    /// A required string argument; missing gives `invalid_arguments`.
    pub fn req_str(&self, name: &str) -> Result<String, Fail> {
        self.opt_str(name)?
            .ok_or_else(|| Fail::new("invalid_arguments").with("missing_argument", name))
    }

    /// A boolean argument: `true`/`false`/`1`/`0` or a JSON boolean.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, Fail> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
            Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(Fail::new("invalid_arguments").with("invalid_argument", name)),
            },
            Some(Value::Array(_)) => Err(Fail::new("invalid_array_arg")),
            Some(_) => Err(Fail::new("invalid_arguments").with("invalid_argument", name)),
        }
    }

    /// A list argument (`channel_ids`, `team_ids`, `user_ids`, …) in any of the three forms
    /// Slack accepts: a comma-separated string (`C1,C2`, what slack_sdk for Python sends), a
    /// JSON array inside a form field (`["C1","C2"]`, what Slack's Node SDK sends for any
    /// array), or a real array in a JSON body. Items are trimmed; empty items are dropped;
    /// an empty list counts as absent. Numbers are read as their decimal text.
    pub fn opt_list(&self, name: &str) -> Result<Option<Vec<String>>, Fail> {
        let bad = || Fail::new("invalid_arguments").with("invalid_argument", name);
        let items: Vec<String> = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| list_item(item).ok_or_else(bad))
                .collect::<Result<_, _>>()?,
            Some(Value::String(s)) if s.trim_start().starts_with('[') => {
                let Ok(Value::Array(items)) = serde_json::from_str::<Value>(s) else {
                    return Err(bad());
                };
                items
                    .iter()
                    .map(|item| list_item(item).ok_or_else(bad))
                    .collect::<Result<_, _>>()?
            }
            Some(Value::String(s)) => s.split(',').map(str::to_string).collect(),
            Some(Value::Number(n)) => vec![n.to_string()],
            Some(_) => return Err(bad()),
        };
        let items: Vec<String> = items
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        Ok((!items.is_empty()).then_some(items))
    }

    /// A required list argument; missing or empty gives `invalid_arguments`.
    pub fn req_list(&self, name: &str) -> Result<Vec<String>, Fail> {
        self.opt_list(name)?
            .ok_or_else(|| Fail::new("invalid_arguments").with("missing_argument", name))
    }

    /// An integer argument, from a JSON number or a decimal string.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, Fail> {
        let bad = || Fail::new("invalid_arguments").with("invalid_argument", name);
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
            Some(Value::Array(_)) => Err(Fail::new("invalid_array_arg")),
            Some(_) => Err(bad()),
        }
    }
}

/// One item of a list argument: a string, or a number as its decimal text.
fn list_item(item: &Value) -> Option<String> {
    match item {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses the token and arguments of a request, as Slack does.
///
/// Arguments may come from the query string and the body together; a body argument wins.
/// The token comes from `Authorization: Bearer` or a `token` argument (not from a JSON
/// body, where Slack requires the header).
/// The token of an `Authorization: Bearer …` header, if there is one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn parse_call(
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Call, Fail> {
    let mut args = Args::default();
    if let Some(q) = query {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(q).map_err(|_| Fail::new("invalid_arguments"))?;
        for (k, v) in pairs {
            args.insert_checked(k, Value::String(v))?;
        }
    }

    let mut json_body = false;
    if *method == Method::POST && !body.is_empty() {
        let raw_content_type = headers
            .get(header::CONTENT_TYPE)
            .ok_or_else(|| Fail::new("missing_post_type"))?
            .to_str()
            .map_err(|_| Fail::new("invalid_post_type"))?;
        let content_type = raw_content_type.to_ascii_lowercase();
        let mut parts = content_type.split(';').map(str::trim);
        let mime = parts.next().unwrap_or_default();
        for param in parts {
            if let Some(charset) = param.strip_prefix("charset=") {
                let charset = charset.trim_matches('"');
                if charset != "utf-8" && charset != "iso-8859-1" {
                    return Err(Fail::new("invalid_charset"));
                }
            }
        }
        match mime {
            // Slack lists text/plain as valid without saying how it is read; it is read
            // as a form here.
            "application/x-www-form-urlencoded" | "text/plain" => {
                let text = std::str::from_utf8(body).map_err(|_| Fail::new("invalid_form_data"))?;
                let pairs: Vec<(String, String)> =
                    serde_urlencoded::from_str(text).map_err(|_| Fail::new("invalid_form_data"))?;
                for (k, v) in pairs {
                    args.insert_checked(k, Value::String(v))?;
                }
            }
            "application/json" => {
                json_body = true;
                let value: Value =
                    serde_json::from_slice(body).map_err(|_| Fail::new("invalid_json"))?;
                let Value::Object(map) = value else {
                    return Err(Fail::new("json_not_object"));
                };
                for (k, v) in map {
                    args.insert_checked(k, v)?;
                }
            }
            "multipart/form-data" => {
                let boundary = multer::parse_boundary(raw_content_type)
                    .map_err(|_| Fail::new("invalid_form_data"))?;
                let data = bytes::Bytes::copy_from_slice(body);
                let stream =
                    futures_util::stream::once(async move { Ok::<_, std::io::Error>(data) });
                let mut form = multer::Multipart::new(stream, boundary);
                while let Some(field) = form
                    .next_field()
                    .await
                    .map_err(|_| Fail::new("invalid_form_data"))?
                {
                    let name = field.name().unwrap_or_default().to_string();
                    let value = field
                        .text()
                        .await
                        .map_err(|_| Fail::new("invalid_form_data"))?;
                    args.insert_checked(name, Value::String(value))?;
                }
            }
            _ => return Err(Fail::new("invalid_post_type")),
        }
    }

    let header_token = bearer_token(headers).map(str::to_string);
    let arg_token = if json_body {
        // A JSON body's `token` is ignored; only the query string may carry one then.
        query
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, _)| k == "token")
                    .map(|(_, v)| v)
            })
            .filter(|t| !t.is_empty())
    } else {
        args.opt_str("token")?
    };
    args.0.remove("token");
    Ok(Call {
        token: header_token.or(arg_token),
        args,
        json_body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(content_type: Option<&str>, auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(ct) = content_type {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        }
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[tokio::test]
    async fn form_body_and_query_merge_and_token_comes_from_either() {
        let call = parse_call(
            &Method::POST,
            &headers(Some("application/x-www-form-urlencoded"), None),
            Some("limit=5"),
            b"token=xoxp-1&team_id=T1",
        )
        .await
        .unwrap();
        assert_eq!(call.token.as_deref(), Some("xoxp-1"));
        assert_eq!(call.args.opt_int("limit").unwrap(), Some(5));
        assert_eq!(call.args.req_str("team_id").unwrap(), "T1");
        assert_eq!(call.args.get("token"), None, "the token is not an argument");
    }

    #[tokio::test]
    async fn json_body_needs_the_header_token() {
        let call = parse_call(
            &Method::POST,
            &headers(Some("application/json; charset=utf-8"), None),
            None,
            br#"{"token":"xoxp-1","is_active":false}"#,
        )
        .await
        .unwrap();
        assert_eq!(call.token, None);
        assert_eq!(call.args.opt_bool("is_active").unwrap(), Some(false));
        let call = parse_call(
            &Method::POST,
            &headers(Some("application/json"), Some("Bearer xoxp-2")),
            None,
            br#"{"limit":10}"#,
        )
        .await
        .unwrap();
        assert_eq!(call.token.as_deref(), Some("xoxp-2"));
    }

    #[tokio::test]
    async fn multipart_bodies_are_read_like_forms() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"limit\"\r\n\r\n7\r\n--XyZ\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nxoxp-3\r\n--XyZ--\r\n";
        let call = parse_call(
            &Method::POST,
            &headers(Some("multipart/form-data; boundary=XyZ"), None),
            None,
            body,
        )
        .await
        .unwrap();
        assert_eq!(call.token.as_deref(), Some("xoxp-3"));
        assert_eq!(call.args.opt_int("limit").unwrap(), Some(7));
    }

    #[tokio::test]
    async fn list_arguments_come_in_three_forms() {
        let form = |body: &'static [u8]| async move {
            parse_call(
                &Method::POST,
                &headers(Some("application/x-www-form-urlencoded"), None),
                None,
                body,
            )
            .await
            .unwrap()
            .args
        };
        let want = Some(vec!["C1".to_string(), "C2".to_string()]);
        // slack_sdk for Python: comma-separated.
        let args = form(b"channel_ids=C1%2C+C2").await;
        assert_eq!(args.opt_list("channel_ids").unwrap(), want);
        // Slack's Node SDK: a JSON array inside the form field.
        let args = form(b"channel_ids=%5B%22C1%22%2C%22C2%22%5D").await;
        assert_eq!(args.opt_list("channel_ids").unwrap(), want);
        // A real array in a JSON body.
        let args = parse_call(
            &Method::POST,
            &headers(Some("application/json"), None),
            None,
            br#"{"channel_ids":["C1","C2"],"one":"C1","none":[],"ints":[1,2],"bad":[{"a":1}]}"#,
        )
        .await
        .unwrap()
        .args;
        assert_eq!(args.opt_list("channel_ids").unwrap(), want);
        assert_eq!(args.opt_list("one").unwrap(), Some(vec!["C1".to_string()]));
        assert_eq!(args.opt_list("none").unwrap(), None);
        assert_eq!(args.opt_list("missing").unwrap(), None);
        assert_eq!(
            args.opt_list("ints").unwrap(),
            Some(vec!["1".to_string(), "2".to_string()])
        );
        assert_eq!(args.opt_list("bad").unwrap_err().code, "invalid_arguments");
        let args = form(b"channel_ids=%5B%22C1%22").await;
        assert_eq!(
            args.opt_list("channel_ids").unwrap_err().code,
            "invalid_arguments",
            "a JSON array that does not parse"
        );
        let args = form(b"channel_ids=%2C%2C").await;
        assert_eq!(args.opt_list("channel_ids").unwrap(), None);
    }

    async fn post(ct: Option<&str>, body: &[u8]) -> &'static str {
        parse_call(&Method::POST, &headers(ct, None), None, body)
            .await
            .unwrap_err()
            .code
    }

    #[tokio::test]
    async fn malformed_requests_get_slacks_codes() {
        assert_eq!(post(None, b"a=1").await, "missing_post_type");
        assert_eq!(
            post(Some("application/xml"), b"<a/>").await,
            "invalid_post_type"
        );
        let charset = post(Some("application/json; charset=koi8-r"), b"{}").await;
        assert_eq!(charset, "invalid_charset");
        assert_eq!(
            post(Some("application/json"), b"{nope").await,
            "invalid_json"
        );
        assert_eq!(
            post(Some("application/json"), b"[1]").await,
            "json_not_object"
        );
        let form = Some("application/x-www-form-urlencoded");
        assert_eq!(post(form, b"channel_ids[]=C1").await, "invalid_array_arg");
        assert_eq!(post(form, b"bad-name=1").await, "invalid_arg_name");
        let multipart = Some("multipart/form-data; boundary=XyZ");
        assert_eq!(post(multipart, b"--nope").await, "invalid_form_data");
        let args = parse_call(
            &Method::POST,
            &headers(Some("application/json"), None),
            None,
            br#"{"user_id":["W1"],"limit":"ten"}"#,
        )
        .await
        .unwrap()
        .args;
        assert_eq!(
            args.opt_str("user_id").unwrap_err().code,
            "invalid_array_arg"
        );
        assert_eq!(args.opt_int("limit").unwrap_err().code, "invalid_arguments");
        assert_eq!(
            args.req_str("team_id").unwrap_err().code,
            "invalid_arguments"
        );
    }
}
