//! Optimistic concurrency: every record has a `version`, responses carry it
//! as a strong `ETag`, and `If-Match` on a write must name the current one.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{Ready, ready};

use crate::error::AppError;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The `If-Match` header of a request, if any.
#[derive(Debug, Default)]
pub struct IfMatch(Option<String>);

impl IfMatch {
    /// Fails with 412 when the header is present and names neither `*` nor
    /// the record's current version.
    pub fn check(&self, current_version: i64) -> Result<(), AppError> {
        let Some(value) = &self.0 else {
            return Ok(());
        };
        let current = current_version.to_string();
        let matches = value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == current);
        if matches {
            Ok(())
        } else {
            Err(AppError::PreconditionFailed(format!(
                "The record has changed: its current version is {current_version}. Fetch it again and retry."
            )))
        }
    }
}

impl FromRequest for IfMatch {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(header::IF_MATCH).map(|v| v.to_str().map(str::to_owned));
        ready(match value {
            None => Ok(IfMatch(None)),
            Some(Ok(v)) => Ok(IfMatch(Some(v))),
            Some(Err(_)) => Err(AppError::BadRequest("The If-Match header is not valid text.".into())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_current_version_only() {
        assert!(IfMatch(None).check(3).is_ok());
        assert!(IfMatch(Some("\"3\"".into())).check(3).is_ok());
        assert!(IfMatch(Some("W/\"3\"".into())).check(3).is_ok());
        assert!(IfMatch(Some("*".into())).check(3).is_ok());
        assert!(IfMatch(Some("\"1\", \"3\"".into())).check(3).is_ok());
        assert!(IfMatch(Some("\"2\"".into())).check(3).is_err());
    }
}
