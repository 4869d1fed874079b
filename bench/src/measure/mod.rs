//! The measurements, one per file.

pub mod assembly;
pub mod binary_size;
pub mod build_time;
pub mod cold_build;
pub mod deliveries;
pub mod disk;
pub mod durable_requests;
pub mod fastapi;
pub mod instructions;
pub mod isolation;
pub mod memory;
pub mod postgres;
pub mod throughput;
