//! `/api/v1/feedback`: NPS survey answers (0–10) from customers.

pub mod dto;
pub mod service;

use crate::auth::policy::{ServiceReaders, ServiceWriters};
use dto::{CreateFeedback, Feedback, FeedbackListQuery, UpdateFeedback};
use service::FeedbackResource;

crate::crud_handlers! {
    resource: FeedbackResource, dto: Feedback, create: CreateFeedback, update: UpdateFeedback, query: FeedbackListQuery,
    read: ServiceReaders, write: ServiceWriters,
    tag: "feedback", list_path: "/feedback", item_path: "/feedback/{id}",
    singular: "feedback", plural: "feedback",
    export: "/feedback/export",
}
