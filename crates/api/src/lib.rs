//! Spoke's HTTP API: actix-web handlers, authentication, problem+json
//! errors and the generated OpenAPI contract. This crate knows HTTP, not SQL:
//! it parses, authenticates and authorizes, lets the domain decide, and asks
//! the persistence crate to store.

pub mod auth;
pub mod calendar;
pub mod config;
pub mod context;
pub mod db;
pub mod extract;
pub mod hsds;
pub mod idempotency;
pub mod maintenance;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod representation;
pub mod routes;
pub mod seed;
pub mod server;
pub mod state;
pub mod usecases;
pub mod webhooks;
