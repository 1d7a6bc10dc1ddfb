//! The request being served: its id and path, kept in a task-local for
//! the whole of its handling, so that an error rendered anywhere below can
//! name it (`error::AppError::to_problem`) and every log line carries it.
//! The middleware that sets it up is `observe`.

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Clone, Debug)]
pub struct RequestContext {
    pub id: String,
    pub path: String,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// The context of the request being served on this task, if any.
pub fn current() -> Option<RequestContext> {
    CONTEXT.try_with(Clone::clone).ok()
}

/// Runs `work` as the handling of the request `context` describes.
pub async fn scope<F: std::future::Future>(context: RequestContext, work: F) -> F::Output {
    CONTEXT.scope(context, work).await
}

/// A client-supplied request id is kept (so a caller can correlate its own
/// logs) when it is short and made of safe characters; otherwise a new one
/// is made.
pub fn request_id(supplied: Option<&str>) -> String {
    supplied
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}
