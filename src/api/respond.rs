//! Response helpers shared by the resource handlers.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use serde::Serialize;

use super::etag::etag;

/// `Content-Disposition: attachment; filename=…` for a download.
pub fn attachment(file_name: String) -> header::ContentDisposition {
    header::ContentDisposition {
        disposition: header::DispositionType::Attachment,
        parameters: vec![header::DispositionParam::Filename(file_name)],
    }
}

/// A record with its `ETag` (and, for a creation, its `Location`).
pub fn record<T: Serialize>(status: StatusCode, version: i64, location: Option<String>, body: &T) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::ETAG, etag(version)));
    if let Some(location) = location {
        builder.insert_header((header::LOCATION, location));
    }
    builder.json(body)
}
