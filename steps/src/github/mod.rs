//! A GitHub REST client for the issues listing: Link-header pagination,
//! primary and secondary rate limits, retries with capped exponential
//! backoff, conditional requests, and a token that is never printed.

mod client;
mod link;
mod token;

pub use client::{Backoff, GithubClient, Page, PageError};
pub use link::Links;
pub use token::Token;
