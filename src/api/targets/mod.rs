//! `/api/v1/targets`: sales targets per employee or team and period.

pub mod dto;
pub mod service;

use crate::auth::policy::{AnyUser, TargetWriters};
use dto::{CreateTarget, Target, TargetListQuery, UpdateTarget};
use service::Targets;

crate::crud_handlers! {
    resource: Targets, dto: Target, create: CreateTarget, update: UpdateTarget, query: TargetListQuery,
    read: AnyUser, write: TargetWriters,
    tag: "targets", list_path: "/targets", item_path: "/targets/{id}",
    singular: "target", plural: "targets",
    export: "/targets/export",
}
