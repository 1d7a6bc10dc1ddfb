//! `/api/v1/contacts`: people at a customer. A contact is visible to whoever
//! sees its customer.

pub mod dto;
pub mod service;

use crate::auth::policy::{CustomerReaders, SalesWriters};
use dto::{Contact, ContactListQuery, CreateContact, UpdateContact};
use service::Contacts;

crate::crud_handlers! {
    resource: Contacts, dto: Contact, create: CreateContact, update: UpdateContact, query: ContactListQuery,
    read: CustomerReaders, write: SalesWriters,
    tag: "contacts", list_path: "/contacts", item_path: "/contacts/{id}",
    singular: "contact", plural: "contacts",
    export: "/contacts/export", bulk: "/contacts/bulk",
}
