//! `/api/v1/tasks`: to-dos of the team, optionally about a record.

pub mod dto;
pub mod service;

use crate::auth::policy::{AnyUser, TaskUsers};
use dto::{CreateTask, Task, TaskListQuery, UpdateTask};
use service::Tasks;

crate::crud_handlers! {
    resource: Tasks, dto: Task, create: CreateTask, update: UpdateTask, query: TaskListQuery,
    read: AnyUser, write: TaskUsers,
    tag: "tasks", list_path: "/tasks", item_path: "/tasks/{id}",
    singular: "task", plural: "tasks",
    export: "/tasks/export",
}
