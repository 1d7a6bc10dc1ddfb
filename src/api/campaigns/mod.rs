//! `/api/v1/campaigns`: marketing campaigns with their costs and reach.
//! Everyone reads them; marketing, managers and admins run them.

pub mod dto;
pub mod members;
pub mod service;

use crate::auth::policy::{AnyUser, MarketingWriters};
use dto::{Campaign, CampaignListQuery, CreateCampaign, UpdateCampaign};
use service::Campaigns;

crate::crud_handlers! {
    resource: Campaigns, dto: Campaign, create: CreateCampaign, update: UpdateCampaign, query: CampaignListQuery,
    read: AnyUser, write: MarketingWriters,
    tag: "campaigns", list_path: "/campaigns", item_path: "/campaigns/{id}",
    singular: "campaign", plural: "campaigns",
    export: "/campaigns/export",
    actions: members::configure,
}
