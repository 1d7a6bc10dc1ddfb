//! `/api/v1/activities`: calls, emails, meetings, visits and notes — the
//! interaction history with customers.

pub mod dto;
pub mod service;

use crate::auth::policy::{ActivityReaders, ActivityWriters};
use dto::{Activity, ActivityListQuery, CreateActivity, UpdateActivity};
use service::Activities;

crate::crud_handlers! {
    resource: Activities, dto: Activity, create: CreateActivity, update: UpdateActivity, query: ActivityListQuery,
    read: ActivityReaders, write: ActivityWriters,
    tag: "activities", list_path: "/activities", item_path: "/activities/{id}",
    singular: "activity", plural: "activities",
    export: "/activities/export", bulk: "/activities/bulk",
}
