//! How large a request body may be: the configured limit
//! (`CRM_MAX_BODY_BYTES`, app data), raised for the two kinds of request
//! that carry many records. Decided from the path, because the idempotency
//! middleware reads a body before routing does.

use actix_web::{HttpRequest, web};

/// The largest request body accepted, in bytes (app data).
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// The body limit of a bulk call: 16 MiB, about 16 KiB per record.
pub const BULK_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The largest CSV file an import takes: 128 MiB (an export of a few
/// hundred thousand customers).
pub const IMPORT_BODY_BYTES: usize = 128 * 1024 * 1024;

/// The body limit of a request: the configured one, or more for a bulk
/// call (`…/bulk`) and an import (`/imports/…`).
pub fn body_limit(req: &HttpRequest) -> usize {
    let limit = req.app_data::<web::Data<BodyLimit>>().map(|l| l.0).unwrap_or(1024 * 1024);
    if req.path().starts_with("/api/v1/imports/") {
        limit.max(IMPORT_BODY_BYTES)
    } else if req.path().ends_with("/bulk") {
        limit.max(BULK_BODY_BYTES)
    } else {
        limit
    }
}
