//! Integration tests: one binary, one module per area.

mod breadth;
mod browser;
mod delivery;
mod document;
mod errors;
mod faults;
mod fixtures;
mod http;
mod otel;
mod postgres;
mod sending;
mod signatures;
mod support;
mod ui;
mod versions;
mod view;
