//! What answers when no route matched: 405 with `Allow` when the path
//! exists with other methods, 404 otherwise. The table of paths comes from
//! the OpenAPI document, so it cannot disagree with it.

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::OpenApi;

use crate::error::AppError;

pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<String>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.trim_matches('/').split('/').map(str::to_owned).collect();
                let methods = [
                    ("GET", &item.get),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                ]
                .into_iter()
                .filter(|(_, op)| op.is_some())
                .map(|(m, _)| m.to_string())
                .collect();
                (segments, methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods the path supports, if the path exists. Where several
    /// templates match (`/customers/bulk` and `/customers/{id}`), the one
    /// with the most literal segments is the path.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut best: Option<(usize, Vec<String>)> = None;
        for (template, methods) in &self.routes {
            let matches = template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s);
            if !matches {
                continue;
            }
            let literals = template.iter().filter(|t| !t.starts_with('{')).count();
            match &mut best {
                Some((most, allowed)) if *most == literals => allowed.extend(methods.iter().cloned()),
                Some((most, _)) if *most > literals => {}
                _ => best = Some((literals, methods.clone())),
            }
        }
        let (_, mut allowed) = best?;
        allowed.sort();
        allowed.dedup();
        Some(allowed)
    }
}

/// A path whose id segment did not parse: 405 when the path is really
/// another one (`PATCH /customers/bulk`), 404 otherwise.
pub fn malformed_path(req: &HttpRequest) -> AppError {
    let allowed = req.app_data::<web::Data<RouteTable>>().and_then(|table| table.allowed(req.path()));
    match allowed {
        Some(allow) if !allow.iter().any(|m| m == req.method().as_str()) => AppError::MethodNotAllowed { allow },
        _ => AppError::NotFound("No resource exists at this path (the id is malformed).".into()),
    }
}

pub async fn not_found_or_not_allowed(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, AppError> {
    Err(match table.allowed(req.path()) {
        Some(allow) => AppError::MethodNotAllowed { allow },
        None => AppError::NotFound("No resource exists at this path.".into()),
    })
}
