//! What the edge accepts as a request body: at most 16 KiB of JSON, and
//! JSON that fits the route's type. The glue reads the bytes; these decide.

use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Request bodies above this are refused (413) before parsing.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Only POST carries a body we read; other methods' bodies are ignored.
pub fn has_body(method: &str) -> bool {
    method == "POST"
}

/// Refuses a body whose declared `Content-Length` is over the limit, before
/// a byte of it is read.
pub fn check_declared_length(content_length: Option<&str>) -> Result<(), ApiError> {
    let declared = content_length.and_then(|value| value.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(ApiError::PayloadTooLarge);
    }
    Ok(())
}

/// A body read chunk by chunk, refused the moment it passes the limit —
/// whatever `Content-Length` said, or if it said nothing (chunked).
#[derive(Debug, Default)]
pub struct CappedBody {
    bytes: Vec<u8>,
}

impl CappedBody {
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        if self.bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    pub fn into_text(self) -> Result<String, ApiError> {
        String::from_utf8(self.bytes).map_err(|_| ApiError::invalid("The body is not UTF-8 text."))
    }
}

/// Checks a body as read: within the limit, and JSON by its media type when
/// it is not empty.
pub fn check_body(body: &str, content_type: Option<&str>) -> Result<(), ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let is_json = content_type.is_some_and(|value| {
        value
            .split(';')
            .next()
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
    });
    if !body.is_empty() && !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(())
}

/// Parses a JSON body into the route's request type.
pub fn parse_json<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|error| {
        // serde's message names the field and what was expected; it never
        // echoes values, so it is safe and useful to return.
        let message = error.to_string();
        let message = message.split(" at line").next().unwrap_or_default();
        ApiError::invalid(format!("The JSON body is not valid: {message}."))
    })
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{ConnectRequest, CreateSessionRequest, Flow};

    use super::*;

    #[test]
    fn declared_lengths_over_the_limit_are_refused_unread() {
        assert_eq!(check_declared_length(None), Ok(()));
        assert_eq!(check_declared_length(Some("16384")), Ok(()));
        assert_eq!(
            check_declared_length(Some("16385")),
            Err(ApiError::PayloadTooLarge)
        );
        // Nonsense says nothing; the body as read is still checked.
        assert_eq!(check_declared_length(Some("lots")), Ok(()));
        assert!(has_body("POST"));
        assert!(!has_body("GET") && !has_body("DELETE"));
    }

    #[test]
    fn a_body_is_refused_as_soon_as_it_passes_the_limit() {
        let mut body = CappedBody::default();
        let chunk = vec![b'x'; 4096];
        for _ in 0..4 {
            body.push(&chunk).unwrap();
        }
        assert_eq!(body.push(b"y"), Err(ApiError::PayloadTooLarge));
        let mut text = CappedBody::default();
        text.push("{\"ok\":true}".as_bytes()).unwrap();
        assert_eq!(text.into_text().unwrap(), "{\"ok\":true}");
        let mut bad = CappedBody::default();
        bad.push(&[0xff, 0xfe]).unwrap();
        assert!(matches!(
            bad.into_text(),
            Err(ApiError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn bodies_are_json_within_the_limit() {
        let json = Some("application/json; charset=utf-8");
        assert_eq!(check_body("{}", json), Ok(()));
        assert_eq!(check_body("{}", Some("Application/JSON")), Ok(()));
        assert_eq!(check_body("", None), Ok(()), "an empty body needs no type");
        assert_eq!(
            check_body("{}", Some("text/plain")),
            Err(ApiError::UnsupportedMediaType)
        );
        assert_eq!(check_body("{}", None), Err(ApiError::UnsupportedMediaType));
        let big = format!("\"{}\"", "x".repeat(MAX_BODY_BYTES));
        assert_eq!(check_body(&big, json), Err(ApiError::PayloadTooLarge));
    }

    #[test]
    fn parse_errors_name_the_field_not_the_value() {
        let request: ConnectRequest = parse_json(r#"{"flow":"redirect"}"#).unwrap();
        assert_eq!(request.flow, Flow::Redirect);
        let Err(ApiError::InvalidRequest { detail }) =
            parse_json::<CreateSessionRequest>(r#"{"user_id": 42}"#)
        else {
            panic!("a number is not a user id");
        };
        assert!(
            detail.starts_with("The JSON body is not valid: invalid type"),
            "{detail}"
        );
        assert!(!detail.contains("at line"), "{detail}");
        assert!(matches!(
            parse_json::<ConnectRequest>("not json"),
            Err(ApiError::InvalidRequest { .. })
        ));
    }
}
